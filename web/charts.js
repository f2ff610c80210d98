// web/charts.js — the faces' charts on uPlot (npm, served at
// /vendor/uPlot.iife.min.js by scripts/web.sh): a time series (x in unix
// seconds) or a bar chart over labels, sized to its container and updated
// in place with new data.
/* global uPlot */

const COLORS = ['#b4531f', '#1f6feb', '#2f7d32', '#8a3d14', '#7b3fbf'];

function width(el) { return Math.max(240, Math.floor(el.clientWidth || 300)); }

/** chart(el, {title, series: ['label', ..], bars?, labels?}) → {set(data)} where
 * data is [xs, ys1, ys2..] (bars: xs are indexes into labels). */
export function chart(el, { title, series, bars = false, labels = null, yRange = null }) {
  const opts = {
    title, width: width(el), height: 180,
    scales: { x: bars ? { time: false, distr: 2, range: (u, min, max) => [min - 0.5, max + 0.5] } : { time: true }, ...(yRange ? { y: { range: yRange } } : {}) },
    axes: [bars ? { splits: (u) => u.data[0].slice(), values: (u, splits) => splits.map((i) => (Number.isInteger(i) && labels ? labels[i] ?? '' : '')) } : {}, {}],
    series: [{}, ...series.map((label, i) => ({
      label, stroke: COLORS[i % COLORS.length], width: 2,
      ...(bars ? { fill: `${COLORS[i % COLORS.length]}99`, paths: uPlot.paths.bars({ size: [0.7 / series.length, 60], gap: 2, align: series.length > 1 ? (i === 0 ? -1 : 1) : 0 }) } : {}),
      points: { show: bars ? false : undefined },
    }))],
    legend: { show: series.length > 1, live: false },
  };
  let u = null;
  let last = [[], ...series.map(() => [])];
  const make = () => { u = new uPlot(opts, last, el); };
  make();
  new ResizeObserver(() => { if (u) u.setSize({ width: width(el), height: 180 }); }).observe(el);
  return {
    set(data, newLabels) {
      last = data;
      if (newLabels) labels = newLabels;
      u.setData(data);
    },
    get data() { return last; },
  };
}
