// The drawing's window onto its layout. Fitted, the whole graph fills the panel with its smallest text no
// smaller than the panel asks (--graph-text-min, in CSS pixels: body text's size for where it is shown) and no
// larger than --graph-text-max; a graph too big for that is shown from the loss on and moved to see the rest.
// Zoomed and panned by Ctrl + wheel or a pinch, by dragging, and by the panel's buttons; "fit" shows it whole.

export const TEXT_UNITS = 16; // the drawing's smallest text, in its own units (graph.css sets the fonts)
const DRAG_PX = 5; // a pointer that moves less than this clicked: the box under it is chosen, not dragged
const STEP = 1.25; // one press of + or −

/** A CSS length in pixels from the element's custom property `name` ("14px"), or `fallback`. */
function pixels(element, name, fallback) {
  const value = parseFloat(getComputedStyle(element).getPropertyValue(name));
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export class Viewport {
  #svg;
  #layout = null; // {width, height, anchor: {x, y}}: what is shown (anchor: the loss, shown first)
  #user = null; // {scale, cx, cy} once zoomed or panned by hand; null: fitted
  #pointers = new Map(); // id → {x, y}: the pointers down on the drawing
  #gesture = null; // {x, y, distance, moved}: the drag or pinch under way
  #onChange;

  /** `onChange()` hears every change of the window (the panel places its overlay from it). */
  constructor(svg, onChange = () => {}) {
    this.#svg = svg;
    this.#onChange = onChange;
    svg.addEventListener("wheel", (event) => this.#wheel(event), { passive: false });
    svg.addEventListener("pointerdown", (event) => this.#down(event));
    svg.addEventListener("pointermove", (event) => this.#move(event));
    for (const type of ["pointerup", "pointercancel"]) svg.addEventListener(type, (event) => this.#up(event));
    // A drag is not a click: the box it started on is not chosen.
    svg.addEventListener("click", (event) => this.#gesture?.moved && event.stopPropagation(), { capture: true });
  }

  /** The scales at which the smallest text is as small and as large as the panel allows: {min, max}. */
  textScales() {
    const min = pixels(this.#svg, "--graph-text-min", 14) / TEXT_UNITS;
    return { min, max: Math.max(min, pixels(this.#svg, "--graph-text-max", 22) / TEXT_UNITS) };
  }

  /** The scale at which a layout {width, height} fits the drawing's box, both ways. */
  fitScale({ width, height }) {
    const { width: w, height: h } = this.#box();
    return w > 0 && h > 0 ? Math.min(w / width, h / height) : 0;
  }

  /** Shows `layout` ({width, height, anchor}); a zoom or pan by hand is kept (a new shape of the same graph). */
  show(layout) {
    this.#layout = layout;
    this.#apply();
  }

  /** The current scale: CSS pixels per unit of the drawing. */
  get scale() {
    return this.#view()?.scale ?? 0;
  }

  zoomBy(factor, clientX = null, clientY = null) {
    const view = this.#view();
    if (!view) return;
    const { left, top, width, height } = this.#svg.getBoundingClientRect();
    const { lowest, highest } = this.#limits();
    const scale = Math.min(highest, Math.max(lowest, view.scale * factor));
    // The point under the pointer (or the middle) stays where it is.
    const px = (clientX ?? left + width / 2) - left;
    const py = (clientY ?? top + height / 2) - top;
    const ux = view.cx + (px - width / 2) / view.scale;
    const uy = view.cy + (py - height / 2) / view.scale;
    this.#user = { scale, cx: ux - (px - width / 2) / scale, cy: uy - (py - height / 2) / scale };
    this.#apply();
  }

  panBy(dx, dy) {
    const view = this.#view();
    if (!view) return;
    this.#user = { scale: view.scale, cx: view.cx - dx / view.scale, cy: view.cy - dy / view.scale };
    this.#apply();
  }

  /** The whole graph in view, however small its text must then be; the readable view when that shows it all. */
  fit() {
    const whole = this.fitScale(this.#layout ?? { width: 1, height: 1 });
    const { min } = this.textScales();
    const { width, height } = this.#layout ?? { width: 0, height: 0 };
    this.#user = whole >= min || !this.#layout ? null : { scale: whole, cx: width / 2, cy: height / 2 };
    this.#apply();
  }

  /** Back to the view a new graph gets: fitted, its text readable. */
  reset() {
    this.#user = null;
    this.#apply();
  }

  get zoomed() {
    return this.#user !== null;
  }

  in() {
    this.zoomBy(STEP);
  }

  out() {
    this.zoomBy(1 / STEP);
  }

  #box() {
    return { width: this.#svg.clientWidth, height: this.#svg.clientHeight };
  }

  #limits() {
    const { min, max } = this.textScales();
    const fit = this.fitScale(this.#layout);
    return { lowest: Math.min(fit, min), highest: Math.max(max, 3 * min) };
  }

  /** {scale, cx, cy}: the scale and the drawing's point at the middle of the box. */
  #view() {
    if (!this.#layout) return null;
    const { width, height } = this.#box();
    if (!(width > 0 && height > 0)) return null;
    const { width: w, height: h, anchor } = this.#layout;
    if (this.#user) {
      // Never lose the drawing: the middle of the box stays over it.
      const { scale, cx, cy } = this.#user;
      return { scale, cx: Math.min(w, Math.max(0, cx)), cy: Math.min(h, Math.max(0, cy)) };
    }
    const { min, max } = this.textScales();
    const scale = Math.min(max, Math.max(min, this.fitScale(this.#layout)));
    // Along a side that does not fit, start at the loss (the top, or the left) and let the rest be moved to.
    const centre = (room, size, at) => (room >= size ? size / 2 : Math.min(size - room / 2, Math.max(room / 2, at)));
    return { scale, cx: centre(width / scale, w, anchor.x), cy: centre(height / scale, h, anchor.y) };
  }

  #apply() {
    const view = this.#view();
    if (!view) return;
    const { width, height } = this.#box();
    const [w, h] = [width / view.scale, height / view.scale];
    // Rounded down, the window's size: the drawing never comes out smaller than its scale (its text's minimum).
    const floor = (v) => Math.floor(v * 100) / 100;
    const box = [+(view.cx - w / 2).toFixed(2), +(view.cy - h / 2).toFixed(2), floor(w), floor(h)].join(" ");
    if (this.#svg.getAttribute("viewBox") !== box) this.#svg.setAttribute("viewBox", box);
    const over = this.#layout.width * view.scale > width + 1 || this.#layout.height * view.scale > height + 1;
    // Moved by hand, or larger than its box: a finger drags the drawing (touch-action, in graph.css).
    this.#svg.dataset.pannable = this.#user !== null || over;
    this.#svg.dataset.zoomed = this.#user !== null;
    this.#onChange();
  }

  #wheel(event) {
    if (!(event.ctrlKey || event.metaKey)) return; // a plain wheel scrolls the page; a pinch comes with Ctrl
    event.preventDefault();
    this.zoomBy(Math.exp(-event.deltaY * 0.002), event.clientX, event.clientY);
  }

  #down(event) {
    if (event.button !== 0 || !this.#layout) return;
    this.#pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    this.#gesture = { ...this.#middle(), moved: false };
  }

  #move(event) {
    const pointer = this.#pointers.get(event.pointerId);
    if (!pointer || !this.#gesture) return;
    pointer.x = event.clientX;
    pointer.y = event.clientY;
    const now = this.#middle();
    const gesture = this.#gesture;
    if (!gesture.moved && Math.hypot(now.x - gesture.x, now.y - gesture.y) < DRAG_PX && now.distance === gesture.distance) return;
    if (!gesture.moved) {
      gesture.moved = true;
      this.#svg.setPointerCapture?.(event.pointerId);
    }
    if (gesture.distance > 0 && now.distance > 0) this.zoomBy(now.distance / gesture.distance, now.x, now.y);
    this.panBy(now.x - gesture.x, now.y - gesture.y);
    Object.assign(gesture, now);
  }

  #up(event) {
    this.#pointers.delete(event.pointerId);
    if (this.#pointers.size > 0) Object.assign(this.#gesture, this.#middle()); // a pinch became a drag
    else setTimeout(() => (this.#gesture = null)); // after the click that may follow
  }

  /** The pointers' middle, and the distance between the first two (0 for one pointer). */
  #middle() {
    const points = [...this.#pointers.values()];
    const x = points.reduce((sum, p) => sum + p.x, 0) / points.length;
    const y = points.reduce((sum, p) => sum + p.y, 0) / points.length;
    const distance = points.length > 1 ? Math.hypot(points[0].x - points[1].x, points[0].y - points[1].y) : 0;
    return { x, y, distance };
  }
}
