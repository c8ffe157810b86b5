// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * A hand-written SVG line chart: throughput against a size, with the knee
 * marked. Standalone (its own XML declaration and namespace, a white
 * background so it reads on GitHub's dark theme too), no scripts, no
 * external fonts.
 *
 * @module
 */

import type { Knee, Point } from "./_knee.ts";

/** One line of a chart. */
export interface Series {
  /** Its legend entry. */
  name: string;
  /** The measured points. */
  points: readonly Point[];
  /** The knee to mark, if any. */
  knee?: Knee;
}

/** What to draw. */
export interface ChartSpec {
  /** The title, at the top. */
  title: string;
  /** A line under the title. */
  subtitle?: string;
  /** The x axis's label (the swept size). */
  xLabel: string;
  /** The y axis's label (the throughput's unit). */
  yLabel: string;
  /** The lines. */
  series: readonly Series[];
  /** Shown in the plot when there is nothing to draw. */
  emptyText?: string;
  /** The tolerance the knees were found with, for the threshold's label. */
  tolerance?: number;
}

const WIDTH = 720;
const HEIGHT = 420;
const COLORS = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#9467bd",
  "#ff7f0e",
  "#8c564b",
];
const FONT =
  "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";

/**
 * Escapes text for XML content and attribute values.
 *
 * @param text The text.
 * @returns The escaped text.
 */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) =>
      ({
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&apos;",
      })[
        c
      ]!,
  )
    // Characters XML 1.0 forbids even when escaped.
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "");
}

/**
 * Formats a number with a metric suffix and three significant digits:
 * 1234 → "1.23k".
 *
 * @param value The number.
 * @returns Its short form.
 */
export function formatSi(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  for (const [scale, suffix] of [[1e9, "G"], [1e6, "M"], [1e3, "k"]] as const) {
    if (abs >= scale) return `${trim(value / scale)}${suffix}`;
  }
  return trim(value);
}

function trim(value: number): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return String(Number(value.toFixed(digits)));
}

/** Rounds up to 1, 2, 2.5 or 5 times a power of ten. */
function niceStep(range: number, ticks: number): number {
  const raw = range / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

/** A coordinate as text: one decimal, never NaN. */
function c(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 10) / 10) : "0";
}

/**
 * Draws a line chart of throughput against size.
 *
 * The x axis is logarithmic (base 2) when the sizes are positive and span a
 * factor of 4 or more, as pool sizes and queue depths do; each measured
 * size gets a tick. The y axis starts at zero, so heights compare as
 * ratios.
 *
 * @param spec What to draw.
 * @returns A standalone SVG document.
 */
export function lineChart(spec: ChartSpec): string {
  const multi = spec.series.length > 1;
  const left = 84;
  const right = multi ? 190 : 28;
  const top = spec.subtitle ? 70 : 52;
  const bottom = 62;
  const plotW = WIDTH - left - right;
  const plotH = HEIGHT - top - bottom;

  const points = spec.series.flatMap((s) =>
    s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
  );
  const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  const minX = xs[0] ?? 1;
  const maxX = xs[xs.length - 1] ?? 1;
  const logX = minX > 0 && maxX / minX >= 4;
  // Inset so that points at the ends do not sit on the axes.
  const inset = 16;
  const fx = (x: number): number => {
    if (maxX === minX) return left + plotW / 2;
    const t = logX
      ? Math.log2(x / minX) / Math.log2(maxX / minX)
      : (x - minX) / (maxX - minX);
    return left + inset + t * (plotW - 2 * inset);
  };
  const maxY = Math.max(0, ...points.map((p) => p.y));
  const step = niceStep(maxY > 0 ? maxY * 1.08 : 1, 5);
  const topY = Math.max(step, Math.ceil((maxY * 1.08) / step) * step);
  const fy = (y: number): number => top + plotH - (y / topY) * plotH;

  const out: string[] = [];
  const title = escapeXml(spec.title);
  out.push(
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="chart-title" font-family="${
      escapeXml(FONT)
    }" font-size="12">`,
    `<title id="chart-title">${title}</title>`,
    `<desc>${escapeXml(describe(spec))}</desc>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${
      WIDTH / 2
    }" y="26" text-anchor="middle" font-size="17" font-weight="bold" fill="#222">${title}</text>`,
  );
  if (spec.subtitle) {
    out.push(
      `<text x="${
        WIDTH / 2
      }" y="46" text-anchor="middle" font-size="12" fill="#555">${
        escapeXml(spec.subtitle)
      }</text>`,
    );
  }

  // Grid and y axis.
  out.push(`<g stroke="#e3e3e3" stroke-width="1">`);
  for (let y = 0; y <= topY + step / 2; y += step) {
    out.push(
      `<line x1="${left}" y1="${c(fy(y))}" x2="${left + plotW}" y2="${
        c(fy(y))
      }"/>`,
    );
  }
  out.push(`</g>`, `<g fill="#444" text-anchor="end">`);
  for (let y = 0; points.length > 0 && y <= topY + step / 2; y += step) {
    out.push(
      `<text x="${left - 8}" y="${c(fy(y) + 4)}">${
        escapeXml(formatSi(y))
      }</text>`,
    );
  }
  out.push(`</g>`);

  // X ticks: each measured size.
  out.push(`<g fill="#444" text-anchor="middle">`);
  for (const x of xs) {
    out.push(
      `<line x1="${c(fx(x))}" y1="${top + plotH}" x2="${c(fx(x))}" y2="${
        top + plotH + 5
      }" stroke="#888"/>`,
      `<text x="${c(fx(x))}" y="${top + plotH + 19}">${
        escapeXml(formatSi(x))
      }</text>`,
    );
  }
  out.push(`</g>`);

  // Axes and their labels.
  out.push(
    `<path d="M${left} ${top} V${top + plotH} H${
      left + plotW
    }" fill="none" stroke="#888" stroke-width="1"/>`,
    `<text x="${c(left + plotW / 2)}" y="${
      HEIGHT - 16
    }" text-anchor="middle" font-size="13" fill="#222">${
      escapeXml(spec.xLabel + (logX ? " (log scale)" : ""))
    }</text>`,
    `<text transform="translate(20 ${
      c(top + plotH / 2)
    }) rotate(-90)" text-anchor="middle" font-size="13" fill="#222">${
      escapeXml(spec.yLabel)
    }</text>`,
  );

  if (points.length === 0) {
    out.push(
      `<text x="${c(left + plotW / 2)}" y="${
        c(top + plotH / 2)
      }" text-anchor="middle" font-size="14" fill="#a33">${
        escapeXml(spec.emptyText ?? "no data")
      }</text>`,
    );
  }

  spec.series.forEach((series, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = series.points
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
      .toSorted((a, b) => a.x - b.x);
    if (pts.length === 0) return;
    const knee = series.knee;
    if (knee && !multi) {
      // The band every size at or past the knee reaches.
      const tol = spec.tolerance ?? 1 - knee.threshold / knee.bestY;
      const lowLeft = pts[0].y <= pts[pts.length - 1].y;
      out.push(
        `<line x1="${left}" y1="${c(fy(knee.threshold))}" x2="${
          left + plotW
        }" y2="${
          c(fy(knee.threshold))
        }" stroke="#999" stroke-width="1" stroke-dasharray="2 3"/>`,
        // Above the line, at the end where the curve is lower (further away).
        `<text x="${lowLeft ? left + 6 : left + plotW - 6}" y="${
          c(fy(knee.threshold) - 5)
        }" text-anchor="${
          lowLeft ? "start" : "end"
        }" font-size="11" fill="#777">${
          escapeXml(`${Math.round((1 - tol) * 100)}% of best`)
        }</text>`,
      );
    }
    out.push(
      `<polyline points="${
        pts.map((p) => `${c(fx(p.x))},${c(fy(p.y))}`).join(" ")
      }" fill="none" stroke="${color}" stroke-width="2.5" stroke-linejoin="round"/>`,
    );
    for (const p of pts) {
      out.push(
        `<circle cx="${c(fx(p.x))}" cy="${
          c(fy(p.y))
        }" r="4" fill="${color}"><title>${
          escapeXml(
            `${series.name}: ${formatSi(p.x)} → ${
              formatSi(p.y)
            } ${spec.yLabel}`,
          )
        }</title></circle>`,
      );
    }
    if (knee) {
      const kx = fx(knee.x);
      const ky = fy(knee.y);
      out.push(
        `<line x1="${c(kx)}" y1="${c(ky)}" x2="${c(kx)}" y2="${
          top + plotH
        }" stroke="${color}" stroke-width="1.5" stroke-dasharray="5 4"/>`,
        `<circle cx="${c(kx)}" cy="${
          c(ky)
        }" r="9" fill="none" stroke="${color}" stroke-width="2"/>`,
      );
      // With several lines the legend names each knee; labels would collide.
      if (!multi) {
        const anchor = kx > left + plotW * 0.7 ? "end" : "start";
        out.push(
          `<text x="${c(kx + (anchor === "end" ? -12 : 12))}" y="${
            c(Math.max(top + 12, ky - 14))
          }" text-anchor="${anchor}" font-size="12" font-weight="bold" fill="${color}">${
            escapeXml(kneeLabel(knee))
          }</text>`,
        );
      }
    }
  });

  if (multi) {
    const lx = left + plotW + 18;
    spec.series.forEach((series, i) => {
      const y = top + 10 + i * 38;
      const color = COLORS[i % COLORS.length];
      const detail = series.points.length === 0
        ? "no data"
        : series.knee
        ? kneeLabel(series.knee, true)
        : "";
      out.push(
        `<line x1="${lx}" y1="${y}" x2="${
          lx + 22
        }" y2="${y}" stroke="${color}" stroke-width="2.5"/>`,
        `<text x="${lx + 28}" y="${y + 4}" fill="#222">${
          escapeXml(series.name)
        }</text>`,
      );
      if (detail) {
        out.push(
          `<text x="${lx + 28}" y="${y + 19}" font-size="11" fill="${color}">${
            escapeXml(detail)
          }</text>`,
        );
      }
    });
  }

  out.push(`</svg>`, "");
  return out.join("\n");
}

function kneeLabel(knee: Knee, short = false): string {
  if (!knee.atEnd) return `knee: ${formatSi(knee.x)}`;
  return `knee: ≥ ${formatSi(knee.x)}${short ? "" : " (end of range)"}`;
}

/** A plain-text account of the chart for screen readers. */
function describe(spec: ChartSpec): string {
  const parts = spec.series.map((s) => {
    const pts = s.points.map((p) => `${formatSi(p.x)}: ${formatSi(p.y)}`).join(
      ", ",
    );
    const knee = s.knee ? `; knee at ${formatSi(s.knee.x)}` : "";
    return `${s.name}: ${pts || "no data"}${knee}`;
  });
  return `${spec.yLabel} against ${spec.xLabel}. ${parts.join(". ")}`;
}
