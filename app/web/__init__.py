"""The web layer: REST routes, the WebSocket feed and the page."""
