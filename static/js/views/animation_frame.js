// Messages arrive up to ~30 times a second, in bursts after a slow tab wakes: draw at most once per frame.

/** Wraps `draw` so that any number of calls between two animation frames runs it once, on the next frame. */
export function oncePerFrame(draw) {
  let requested = false;
  return () => {
    if (requested) return;
    requested = true;
    requestAnimationFrame(() => {
      requested = false;
      draw();
    });
  };
}
