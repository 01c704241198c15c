// Starts Swagger UI (static/vendor/swagger-ui, a classic script that defines SwaggerUIBundle) on this server's
// OpenAPI document, whose address the page gives in this script's data-openapi-url.
const url = document.currentScript.dataset.openapiUrl;
window.SwaggerUIBundle({
  url,
  dom_id: "#swagger-ui",
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  deepLinking: true,
});
