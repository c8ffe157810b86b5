// Copyright 2026 the @concurrent/futures authors. MIT license.
// The dashboard page: one card per executor, redrawn from the server-sent
// events of /events (a "hello" with what the server kept, then a "sample"
// every second). Hand-written SVG charts; every text goes in as text, never
// as markup. Nothing here sends anything but the one GET of the feed.

"use strict";

const SVG = "http://www.w3.org/2000/svg";
/** The charts' window: the last five minutes. */
const WINDOW = 5 * 60_000;
/** Counters, in the order shown; any other number follows. */
const ORDER = [
  "workers",
  "busy",
  "queued",
  "waiting",
  "delayed",
  "running",
  "completed",
  "failed",
  "cancelled",
];
const SKIP = new Set(["waitTime", "runTime", "utilization", "processes"]);
/** Exit reasons that mean trouble, and their marks. */
const MARK = { crashed: "✕", stopped: "■" };
const LANES = 16;

const state = {
  /** Server time minus ours. */
  offset: 0,
  interval: 1000,
  /** name -> card state */
  cards: new Map(),
  updated: 0,
};

const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const rate = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

function now() {
  return Date.now() + state.offset;
}

/** An element with attributes and children (strings become text). */
function h(tag, attrs = {}, ...children) {
  const svg = ["svg", "g", "path", "rect", "line", "text", "circle", "title"]
    .includes(tag);
  const node = svg
    ? document.createElementNS(SVG, tag)
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) {
      node.setAttribute(key, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(
      typeof child === "string" ? document.createTextNode(child) : child,
    );
  }
  return node;
}

function duration(ms) {
  if (!Number.isFinite(ms)) return "–";
  if (ms === 0) return "0";
  if (ms < 0.1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/**
 * The charts' time span for `card`: what it has seen, rounded up to whole
 * minutes, from one minute to `WINDOW`.
 */
function span(card) {
  const first = Math.min(
    card.history[0]?.t ?? Infinity,
    card.events[0]?.t ?? Infinity,
  );
  if (!Number.isFinite(first)) return 60_000;
  const minutes = Math.ceil((now() - first) / 60_000);
  return Math.min(WINDOW, Math.max(1, minutes) * 60_000);
}

function clock(t) {
  return new Date(t).toLocaleTimeString([], { hour12: false });
}

function setStatus(kind, text) {
  const status = document.getElementById("status");
  status.dataset.state = kind;
  status.textContent = text;
}

// ------------------------------------------------------------------ cards

function makeCard(info) {
  const section = h("section", {
    class: "card",
    "data-executor": info.name,
  });
  const title = h(
    "h2",
    {},
    h("span", { class: "name" }, info.name),
    h("span", { class: "kind" }, info.kind),
  );
  const error = h("p", { class: "error", hidden: "" });
  const tiles = h("div", { class: "tiles" });
  const throughput = h("svg", {
    "data-chart": "throughput",
    role: "img",
    "aria-label": "throughput",
  });
  const tputNow = h("span", { class: "aside" });
  const times = h("svg", {
    "data-chart": "times",
    role: "img",
    "aria-label": "wait and run times",
  });
  const timesFigure = h(
    "figure",
    { hidden: "" },
    h(
      "figcaption",
      {},
      "Wait and run times ",
      h("span", { class: "aside" }, "since start, log scale"),
    ),
    times,
  );
  const timeline = h("svg", {
    "data-chart": "timeline",
    role: "img",
    "aria-label": "worker timeline",
  });
  const exits = h("span", { class: "aside" });
  const timelineFigure = h(
    "figure",
    { class: "wide", hidden: info.workerEvents ? null : "" },
    h("figcaption", {}, "Workers ", exits),
    timeline,
  );
  const crashes = h("ol", { class: "crashes" });
  const crashBox = h(
    "div",
    { class: "crash-box", hidden: "" },
    h("h3", {}, "Crashes"),
    crashes,
  );
  const processes = h("tbody");
  const processBox = h(
    "div",
    { class: "process-box", hidden: "" },
    h("h3", {}, "Processes serving the queue"),
    h(
      "table",
      { class: "processes" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, "name"),
          h("th", {}, "address"),
          h("th", {}, "up"),
          h("th", {}, "idle"),
        ),
      ),
      processes,
    ),
  );
  section.append(
    title,
    error,
    tiles,
    h(
      "div",
      { class: "charts" },
      h(
        "figure",
        {},
        h("figcaption", {}, "Throughput ", tputNow),
        throughput,
      ),
      timesFigure,
      timelineFigure,
    ),
    crashBox,
    processBox,
  );
  return {
    info,
    history: info.history.slice(),
    events: info.events.slice(),
    /** The last event's number: the feed may send one again. */
    seq: Math.max(0, ...info.events.map((event) => event.seq)),
    el: {
      section,
      error,
      tiles,
      throughput,
      tputNow,
      times,
      timesFigure,
      timeline,
      exits,
      crashes,
      crashBox,
      processes,
      processBox,
    },
  };
}

function tile(label, value, extra) {
  return h(
    "div",
    { class: "tile", "data-stat": label },
    h("span", { class: "label" }, label),
    h("span", { class: "value" }, value),
    extra,
  );
}

function renderTiles(card, stats) {
  const keys = ORDER.filter((key) => typeof stats[key] === "number");
  for (const [key, value] of Object.entries(stats)) {
    if (typeof value === "number" && !ORDER.includes(key) && !SKIP.has(key)) {
      keys.push(key);
    }
  }
  const nodes = keys.map((key) => tile(key, number.format(stats[key])));
  if (typeof stats.utilization === "number") {
    const share = Math.max(0, Math.min(1, stats.utilization));
    nodes.push(
      tile(
        "utilization",
        `${(share * 100).toFixed(1)} %`,
        h(
          "span",
          { class: "meter" },
          h("span", { style: null, "data-share": share.toFixed(3) }),
        ),
      ),
    );
  }
  card.el.tiles.replaceChildren(...nodes);
  // Widths through CSSOM (the page's policy allows no inline style markup).
  for (const bar of card.el.tiles.querySelectorAll("[data-share]")) {
    bar.style.width = `${Number(bar.dataset.share) * 100}%`;
  }
}

/** Sizes `svg` to its box; returns its width. */
function fit(svg, height) {
  const width = Math.max(
    200,
    Math.round(svg.getBoundingClientRect().width || 600),
  );
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("height", String(height));
  return width;
}

function renderThroughput(card) {
  const svg = card.el.throughput;
  const height = 140;
  const width = fit(svg, height);
  const left = 44;
  const right = width - 6;
  const top = 8;
  const bottom = height - 20;
  const end = now();
  const window = span(card);
  const start = end - window;
  const points = smooth(
    card.history.filter((s) => s.t >= start && s.rate !== undefined),
  );
  const peak = Math.max(1, ...points.map((s) => s.rate));
  const scale = niceCeil(peak);
  const x = (t) => left + ((t - start) / window) * (right - left);
  const y = (v) => bottom - (v / scale) * (bottom - top);
  let line = "";
  let area = "";
  let run = [];
  const flush = () => {
    if (run.length === 0) return;
    line += run.map(([px, py], i) =>
      `${i ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`
    ).join("");
    area += `M${run[0][0].toFixed(1)},${bottom}` +
      run.map(([px, py]) => `L${px.toFixed(1)},${py.toFixed(1)}`).join("") +
      `L${run[run.length - 1][0].toFixed(1)},${bottom}Z`;
    run = [];
  };
  let last;
  for (const sample of points) {
    if (last !== undefined && sample.t - last > 3 * state.interval) flush();
    run.push([x(sample.t), y(sample.rate)]);
    last = sample.t;
  }
  flush();
  svg.replaceChildren(
    h("line", { class: "grid", x1: left, x2: right, y1: top, y2: top }),
    h("line", {
      class: "grid",
      x1: left,
      x2: right,
      y1: y(scale / 2),
      y2: y(scale / 2),
    }),
    h("line", { class: "axis", x1: left, x2: right, y1: bottom, y2: bottom }),
    h(
      "text",
      { class: "tick", x: left - 4, y: top + 4, "text-anchor": "end" },
      compact(scale),
    ),
    h("text", {
      class: "tick",
      x: left - 4,
      y: y(scale / 2) + 4,
      "text-anchor": "end",
    }, compact(scale / 2)),
    h("text", {
      class: "tick",
      x: left - 4,
      y: bottom + 4,
      "text-anchor": "end",
    }, "0"),
    h(
      "text",
      { class: "tick", x: left, y: height - 4 },
      `−${window / 60_000} min`,
    ),
    h(
      "text",
      { class: "tick", x: right, y: height - 4, "text-anchor": "end" },
      "now",
    ),
    h("path", { class: "area", d: area || null }),
    h("path", { class: "line", d: line || null }),
    ...points.slice(-1).map((p) =>
      h("circle", {
        class: "dot",
        cx: x(p.t).toFixed(1),
        cy: y(p.rate).toFixed(1),
        r: 2.5,
      })
    ),
  );
  const latest = points.at(-1);
  card.el.tputNow.textContent = latest === undefined
    ? "tasks/s"
    : `${rate.format(latest.rate)} tasks/s (${SMOOTH / 1000} s average), peak ${
      rate.format(peak)
    }`;
}

/** Milliseconds each throughput point averages over. */
const SMOOTH = 5_000;

/**
 * The samples' rates averaged over the `SMOOTH` ms before each (bursty work
 * reads better so); a gap in the samples restarts the average.
 */
function smooth(samples) {
  const out = [];
  let from = 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const t = samples[i].t;
    if (i > 0 && t - samples[i - 1].t > 3 * state.interval) {
      from = i;
      sum = 0;
    }
    sum += samples[i].rate;
    while (samples[from].t <= t - SMOOTH) sum -= samples[from++].rate;
    out.push({ t, rate: Math.max(0, sum / (i - from + 1)) });
  }
  return out;
}

function niceCeil(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

function compact(value) {
  if (value >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${+(value / 1e3).toFixed(1)}k`;
  return `${+value.toFixed(1)}`;
}

function renderTimes(card, stats) {
  const wait = stats.waitTime;
  const run = stats.runTime;
  if (typeof wait !== "object" || typeof run !== "object" || !wait || !run) {
    card.el.timesFigure.hidden = true;
    return;
  }
  card.el.timesFigure.hidden = false;
  const rows = [];
  for (const [label, t] of [["wait", wait], ["run", run]]) {
    for (const key of ["p50", "p90", "p99", "max"]) {
      rows.push({ group: label, key, value: Number(t[key]) || 0 });
    }
  }
  const row = 15;
  const height = rows.length * row + 28;
  const svg = card.el.times;
  const width = fit(svg, height);
  const left = 74;
  const right = width - 64;
  const floor = 0.01;
  const top = Math.max(1, ...rows.map((r) => r.value));
  const decades = Math.log10(top / floor);
  const x = (v) =>
    left + (Math.log10(Math.max(v, floor) / floor) / decades) * (right - left);
  const nodes = [];
  rows.forEach((r, i) => {
    const y = 4 + i + i * row + (r.group === "run" ? 6 : 0);
    nodes.push(
      h(
        "text",
        { class: "tick", x: left - 6, y: y + 10, "text-anchor": "end" },
        `${r.group} ${r.key}`,
      ),
      h("rect", {
        class: `bar ${r.group}`,
        x: left,
        y,
        width: Math.max(1, x(r.value) - left).toFixed(1),
        height: row - 3,
        rx: 2,
      }, h("title", {}, `${r.group} time ${r.key}: ${duration(r.value)}`)),
      h(
        "text",
        { class: "value", x: x(r.value) + 4, y: y + 10 },
        duration(r.value),
      ),
    );
  });
  const base = height - 8;
  // A label every decade, or every second or third one on a narrow screen.
  const every = 10 ** Math.max(1, Math.ceil(48 / ((right - left) / decades)));
  for (let v = floor; v <= top * 1.0001; v *= every) {
    nodes.push(
      h("line", { class: "grid", x1: x(v), x2: x(v), y1: 2, y2: base - 10 }),
      h(
        "text",
        { class: "tick", x: x(v), y: base, "text-anchor": "middle" },
        duration(v).replace(/\.0+ /, " "),
      ),
    );
  }
  svg.replaceChildren(...nodes);
  card.el.timesFigure.querySelector(".aside").textContent = `${
    number.format(run.count)
  } tasks; mean wait ${duration(wait.mean)}, run ${duration(run.mean)}`;
}

function describe(error) {
  if (!error) return "";
  let text = `${error.name}: ${error.message}`;
  for (let cause = error.cause; cause; cause = cause.cause) {
    text += `\ncaused by ${cause.name}: ${cause.message}`;
  }
  return text;
}

function renderTimeline(card) {
  if (!card.info.workerEvents) return;
  const svg = card.el.timeline;
  const end = now();
  const window = span(card);
  const start = end - window;
  /** worker -> lane */
  const lanes = new Map();
  const counts = { start: 0 };
  for (const event of card.events) {
    if (event.type === "start") {
      counts.start++;
      lanes.set(event.worker, { worker: event.worker, from: event.t });
    } else {
      counts[event.reason] = (counts[event.reason] ?? 0) + 1;
      const lane = lanes.get(event.worker) ??
        { worker: event.worker, from: undefined };
      lane.to = event.t;
      lane.reason = event.reason;
      lane.error = event.error;
      lanes.set(event.worker, lane);
    }
  }
  const shown = [...lanes.values()]
    .filter((lane) => lane.to === undefined || lane.to >= start)
    .slice(-LANES);
  const row = 14;
  const height = Math.max(1, shown.length) * row + 26;
  const width = fit(svg, height);
  const left = 70;
  const right = width - 10;
  const x = (t) =>
    left + ((Math.max(t, start) - start) / window) * (right - left);
  const nodes = [];
  shown.forEach((lane, i) => {
    const y = 4 + i * row;
    const from = lane.from ?? start;
    const to = lane.to ?? end;
    const trouble = lane.reason === "crashed" || lane.reason === "stopped";
    nodes.push(
      h(
        "text",
        { class: "tick", x: left - 6, y: y + 9, "text-anchor": "end" },
        lane.worker,
      ),
      h(
        "rect",
        {
          class: `life${lane.to === undefined ? " alive" : ""}`,
          x: x(from).toFixed(1),
          y,
          width: Math.max(2, x(to) - x(from)).toFixed(1),
          height: row - 4,
          rx: 2,
        },
        h(
          "title",
          {},
          `${lane.worker}: ${
            lane.from ? `started ${clock(lane.from)}` : "started earlier"
          }${lane.to ? `, ${lane.reason} ${clock(lane.to)}` : ", running"}`,
        ),
      ),
    );
    if (lane.to !== undefined) {
      nodes.push(
        h(
          "text",
          {
            class: `exit ${trouble ? lane.reason : "quiet"}`,
            x: x(to),
            y: y + 9,
            "text-anchor": "middle",
            "data-reason": lane.reason,
          },
          MARK[lane.reason] ?? "|",
          h(
            "title",
            {},
            `${lane.worker} ${lane.reason}${
              lane.error ? `: ${describe(lane.error)}` : ""
            }`,
          ),
        ),
      );
    }
  });
  if (shown.length === 0) {
    nodes.push(
      h(
        "text",
        { class: "tick", x: left, y: 14 },
        "no worker started or exited yet",
      ),
    );
  }
  const base = height - 6;
  nodes.push(
    h("line", {
      class: "axis",
      x1: left,
      x2: right,
      y1: base - 12,
      y2: base - 12,
    }),
    h("text", { class: "tick", x: left, y: base }, `−${window / 60_000} min`),
    h(
      "text",
      { class: "tick", x: right, y: base, "text-anchor": "end" },
      "now",
    ),
  );
  svg.replaceChildren(...nodes);
  const parts = [`${counts.start} started`];
  for (const [reason, n] of Object.entries(counts)) {
    if (reason !== "start") parts.push(`${n} ${reason}`);
  }
  card.el.exits.textContent = parts.join(" · ");
}

function renderCrashes(card) {
  const crashes = card.events.filter((e) =>
    e.type === "exit" && e.reason === "crashed"
  );
  card.el.crashBox.hidden = crashes.length === 0;
  if (crashes.length === card.el.crashes.childElementCount) return;
  card.el.crashes.replaceChildren(
    ...crashes.slice(-10).reverse().map((event) => {
      const stack = [event.error?.stack, event.error?.cause?.stack].filter(
        Boolean,
      ).join("\n\ncaused by ");
      return h(
        "li",
        { class: "crash" },
        h("time", {}, clock(event.t)),
        " ",
        h("strong", {}, event.worker),
        " ",
        h("code", { class: "message" }, describe(event.error) || "crashed"),
        stack
          ? h("details", {}, h("summary", {}, "stack"), h("pre", {}, stack))
          : null,
      );
    }),
  );
}

function renderProcesses(card, stats) {
  const list = stats.processes;
  card.el.processBox.hidden = !Array.isArray(list);
  if (!Array.isArray(list)) return;
  card.el.processes.replaceChildren(
    ...list.map((p) =>
      h(
        "tr",
        {},
        h("td", {}, String(p.name ?? "")),
        h("td", {}, String(p.addr ?? "")),
        h("td", {}, p.age === undefined ? "" : duration(Number(p.age) * 1000)),
        h(
          "td",
          {},
          p.idle === undefined ? "" : duration(Number(p.idle) * 1000),
        ),
      )
    ),
  );
}

function render(card) {
  const latest = card.history.at(-1);
  const stats = latest?.stats ?? {};
  card.el.error.hidden = !latest?.error;
  card.el.error.textContent = latest?.error ?? "";
  renderTiles(card, stats);
  renderThroughput(card);
  renderTimes(card, stats);
  renderTimeline(card);
  renderCrashes(card);
  renderProcesses(card, stats);
}

// ------------------------------------------------------------------ feed

function hello(data) {
  state.offset = data.now - Date.now();
  state.interval = data.interval;
  state.cards.clear();
  const main = document.getElementById("executors");
  const cards = data.executors.map(makeCard);
  main.replaceChildren(...cards.map((card) => card.el.section));
  if (cards.length === 0) {
    main.append(h("p", { class: "empty" }, "No executors to show."));
  }
  for (const card of cards) {
    state.cards.set(card.info.name, card);
    render(card);
  }
}

function sample(data) {
  state.offset = data.now - Date.now();
  const start = now() - WINDOW - 5_000;
  for (const entry of data.executors) {
    const card = state.cards.get(entry.name);
    if (card === undefined) continue;
    card.history.push(entry.sample);
    while (card.history.length > 0 && card.history[0].t < start) {
      card.history.shift();
    }
    for (const event of entry.events) {
      if (event.seq <= card.seq) continue;
      card.seq = event.seq;
      card.events.push(event);
    }
    if (card.events.length > 400) {
      card.events.splice(0, card.events.length - 400);
    }
    render(card);
  }
  state.updated = data.now;
  setStatus("live", `live · ${clock(data.now)}`);
}

function connect() {
  const feed = new EventSource("events");
  feed.addEventListener("hello", (event) => {
    hello(JSON.parse(event.data));
    setStatus("live", "live");
  });
  feed.addEventListener("sample", (event) => sample(JSON.parse(event.data)));
  feed.addEventListener("error", () => {
    setStatus(
      "down",
      feed.readyState === EventSource.CLOSED ? "disconnected" : "reconnecting…",
    );
  });
}

connect();
