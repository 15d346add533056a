// Shared by the browser components: each component's script is this file followed by its
// own (ui.linked.component_files), so what is here is in scope for both. Nothing here puts data into
// markup: every number and word is set as textContent.

const FLOATS = new Map(); // url -> Promise<Float32Array>, shared by every view of the tab

// The exact numbers behind a view: {url, dtype}. "u8" holds k for pixels that are exactly
// k / 255 (float32 division, as numpy made them); "f4" holds float32 as they are.
function floats(spec) {
  const key = `${spec.url}|${spec.dtype}`;
  if (!FLOATS.has(key)) {
    FLOATS.set(
      key,
      fetch(spec.url)
        .then((answer) => {
          if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
          return answer.arrayBuffer();
        })
        .then((buffer) => {
          if (spec.dtype !== "u8") return new Float32Array(buffer);
          const bytes = new Uint8Array(buffer);
          return Float32Array.from(bytes, (b) => Math.fround(b / 255));
        }),
    );
    if (FLOATS.size > 24) FLOATS.delete(FLOATS.keys().next().value); // keep the tab small
  }
  return FLOATS.get(key);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

// A colour scale from evenly spaced stops (hex strings) over [low, high].
function scale(stops, low, high) {
  const rgb = stops.map(hexToRgb);
  const span = high - low || 1;
  return (v) => {
    if (!Number.isFinite(v)) return [235, 235, 235];
    const t = Math.min(1, Math.max(0, (v - low) / span)) * (rgb.length - 1);
    const i = Math.min(rgb.length - 2, Math.floor(t));
    const f = t - i;
    return rgb[i].map((c, k) => Math.round(c + f * (rgb[i + 1][k] - c)));
  };
}

// Play and Pause of a view with .timer, .speed (steps a second), .playButton and .root:
// play() calls tick once a step until pause(); the button and root.dataset.playing follow.
function play(view, tick) {
  clearInterval(view.timer);
  view.timer = setInterval(tick, 1000 / Number(view.speed.value));
  view.playButton.textContent = "⏸ Pause";
  view.playButton.setAttribute("aria-pressed", "true");
  view.root.dataset.playing = "true";
}

function pause(view) {
  if (!view.timer) return;
  clearInterval(view.timer);
  view.timer = null;
  view.playButton.textContent = "▶ Play";
  view.playButton.setAttribute("aria-pressed", "false");
  view.root.dataset.playing = "false";
}
