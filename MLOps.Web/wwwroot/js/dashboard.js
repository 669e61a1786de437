// MLOps.Web dashboard: plain JS and inline SVG, no CDN, no framework.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const pick = (o, ...names) => { for (const n of names) { if (o && o[n] !== undefined && o[n] !== null) return o[n]; } return undefined; };
  const fmtTime = (t) => (t ? new Date(t).toLocaleTimeString() : "");
  const fmtNum = (n, d = 0) => (typeof n === "number" ? n.toLocaleString(undefined, { maximumFractionDigits: d }) : "");

  async function getJson(url, init) {
    const r = await fetch(url, init);
    if (!r.ok) throw new Error(`${url}: ${r.status}`);
    return r.json();
  }

  // ---- readiness -------------------------------------------------------------------------
  async function refreshReady() {
    const pill = $("ready");
    try {
      const r = await fetch("/readyz");
      const body = await r.json();
      const failing = Object.entries(body.checks || {}).filter(([, c]) => c.status !== "Healthy").map(([n, c]) => `${n}: ${c.description || c.status}`);
      pill.textContent = r.ok ? "ready" : "not ready";
      pill.className = "pill " + (r.ok ? "ok" : "bad");
      pill.title = failing.length ? failing.join("\n") : "all checks pass";
    } catch { pill.textContent = "unreachable"; pill.className = "pill bad"; }
  }

  // ---- trending (SSE with polling fallback) ------------------------------------------------
  function renderTrending(snapshot) {
    const tags = pick(snapshot, "tags", "Tags") || [];
    const chart = $("trending-chart");
    if (!tags.length) { chart.innerHTML = '<p class="muted">no hashtags in the window yet</p>'; return; }
    const max = Math.max(...tags.map((t) => pick(t, "count", "Count") || 0), 1);
    chart.innerHTML = tags.map((t) => {
      const name = pick(t, "display", "Display", "tag", "Tag");
      const count = pick(t, "count", "Count") || 0;
      return `<div class="bar-row trending-tag" data-tag="${esc(pick(t, "tag", "Tag"))}"><span class="label">#${esc(name)}</span>` +
        `<span><div class="bar" style="width:${(100 * count / max).toFixed(1)}%"></div></span><span class="count">${fmtNum(count)}</span></div>`;
    }).join("");
    const ws = pick(snapshot, "windowStart", "WindowStart"), we = pick(snapshot, "windowEnd", "WindowEnd");
    $("trending-window").textContent = ws && we ? `${fmtTime(ws)} – ${fmtTime(we)}` : "";
    const src = pick(snapshot, "source", "Source");
    $("trending-source").textContent = src ? `source: ${src}` : "";
  }

  function startTrending() {
    const poll = async () => { try { renderTrending(await getJson("/api/trending?top=15")); } catch { /* next tick */ } };
    poll();
    if ("EventSource" in window) {
      const es = new EventSource("/api/trending/stream");
      es.onmessage = (e) => { try { renderTrending(JSON.parse(e.data)); } catch { /* ignore */ } };
      es.addEventListener("trending", (e) => { try { renderTrending(JSON.parse(e.data)); } catch { /* ignore */ } });
      es.onerror = () => { /* EventSource reconnects by itself; keep polling slowly meanwhile */ };
    }
    setInterval(poll, 15000);
  }

  // ---- runs -------------------------------------------------------------------------------
  async function refreshRuns() {
    let runs;
    try { runs = await getJson("/api/reclassify/runs"); } catch { return; }
    runs = Array.isArray(runs) ? runs : pick(runs, "runs", "items") || [];
    const body = $("runs-table").querySelector("tbody");
    if (!runs.length) { body.innerHTML = '<tr><td colspan="7" class="muted">no runs yet</td></tr>'; return; }
    body.innerHTML = runs.slice(0, 8).map((r) => {
      const link = pick(r, "dashboardUrl") || (pick(r, "id") ? `/hangfire/jobs/details/${encodeURIComponent(pick(r, "id"))}` : "");
      const tags = pick(r, "tags", "labels") || [];
      const status = pick(r, "status", "state") || "";
      const pct = pick(r, "percent");
      const shown = status.toLowerCase() === "running" && typeof pct === "number" ? `${status} ${pct.toFixed(0)}%` : status;
      return `<tr class="run"><td>${esc(fmtTime(pick(r, "startedAt", "createdAt")))}</td><td>${esc(shown)}</td>` +
        `<td>${esc(tags.join(", "))}</td><td>${esc(pick(r, "model", "modelId"))}</td><td>${fmtNum(pick(r, "documents", "documentCount"))}</td>` +
        `<td>${fmtNum(pick(r, "docsPerSecond"), 1)}</td>` +
        `<td>${link ? `<a href="${esc(link)}">job</a>` : ""}</td></tr>`;
    }).join("");
  }

  $("run-now").addEventListener("click", async () => {
    const btn = $("run-now"); btn.disabled = true;
    try { await fetch("/api/reclassify", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }); } finally { btn.disabled = false; refreshRuns(); }
  });

  // ---- models + NDCG history --------------------------------------------------------------
  function lineChart(series) {
    // series: Map(model -> [{t: Date, y: number}])
    const all = [...series.values()].flat();
    if (!all.length) return '<p class="muted">no evaluations yet</p>';
    const W = 560, H = 180, P = 30;
    const t0 = Math.min(...all.map((p) => p.t)), t1 = Math.max(...all.map((p) => p.t));
    const x = (t) => P + (t1 === t0 ? (W - 2 * P) / 2 : ((t - t0) / (t1 - t0)) * (W - 2 * P));
    const y = (v) => H - P - v * (H - 2 * P);
    const colours = ["#2f6fdf", "#e07b39", "#1f9d55", "#9b59b6", "#d64545", "#16a2b8"];
    let i = 0, svg = `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="NDCG@10 per model version">`;
    svg += `<line x1="${P}" y1="${y(0)}" x2="${W - P}" y2="${y(0)}" stroke="#ccc"/><line x1="${P}" y1="${y(1)}" x2="${W - P}" y2="${y(1)}" stroke="#eee"/>`;
    svg += `<text x="2" y="${y(1) + 4}">1.0</text><text x="2" y="${y(0) + 4}">0.0</text>`;
    for (const [model, pts] of series) {
      const c = colours[i++ % colours.length];
      pts.sort((a, b) => a.t - b.t);
      svg += `<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((p) => `${x(p.t)},${y(p.y)}`).join(" ")}"/>`;
      svg += pts.map((p) => `<circle cx="${x(p.t)}" cy="${y(p.y)}" r="3" fill="${c}"><title>${esc(model)}: ${p.y.toFixed(3)}</title></circle>`).join("");
      svg += `<text x="${P + 4}" y="${12 + 13 * (i - 1)}" style="fill:${c}">${esc(model)}</text>`;
    }
    return svg + "</svg>";
  }

  async function refreshModels() {
    try {
      let models = await getJson("/api/models");
      models = Array.isArray(models) ? models : pick(models, "models", "items") || [];
      $("models-table").querySelector("tbody").innerHTML = models.map((m) =>
        `<tr class="model"><td>${esc(pick(m, "id", "Id"))}</td><td>${esc(pick(m, "kind", "Kind"))}</td><td>${pick(m, "active", "isActive") ? "★ active" : ""}</td><td>${esc(pick(m, "source", "Source"))}</td></tr>`).join("");
    } catch { /* models API not up yet */ }
    try {
      let evals = await getJson("/api/evaluations");
      evals = Array.isArray(evals) ? evals : pick(evals, "evaluations", "items") || [];
      const series = new Map();
      for (const e of evals) {
        const model = pick(e, "modelId", "model");
        const metrics = pick(e, "metrics") || e;
        const ndcg = pick(metrics, "ndcg", "ndcgAtK", "ndcg@10", "Ndcg");
        const t = new Date(pick(e, "evaluatedAt", "at", "createdAt", "time"));
        if (typeof ndcg !== "number" || isNaN(t)) continue;
        if (!series.has(model)) series.set(model, []);
        series.get(model).push({ t: +t, y: ndcg });
      }
      $("ndcg-chart").innerHTML = lineChart(series);
    } catch { /* evaluation API not up yet */ }
  }

  $("evaluate-now").addEventListener("click", async () => {
    const btn = $("evaluate-now"); btn.disabled = true;
    try {
      let models = await getJson("/api/models");
      models = Array.isArray(models) ? models : [];
      const active = models.find((m) => pick(m, "active"));
      if (active) await fetch(`/api/models/${encodeURIComponent(pick(active, "id"))}/evaluate`, { method: "POST" });
    } catch { /* shown by the next refresh */ } finally { btn.disabled = false; refreshModels(); }
  });

  // ---- search side by side ----------------------------------------------------------------
  function renderHits(el, result) {
    const hits = pick(result, "hits", "Hits") || [];
    el.innerHTML = hits.length ? hits.map((h) => {
      const doc = pick(h, "document") || h;
      return `<li class="hit"><span class="title">${esc(pick(doc, "title", "Title"))}</span> <span class="score">${fmtNum(pick(h, "score", "Score"), 3)}</span></li>`;
    }).join("") : '<li class="muted">no hits</li>';
  }

  $("search-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const q = $("search-q").value.trim(), genre = $("search-genre").value.trim();
    const base = new URLSearchParams({ size: "10" });
    if (q) base.set("q", q);
    if (genre) base.set("genre", genre);
    const run = async (sort, el) => {
      const p = new URLSearchParams(base); p.set("sort", sort);
      try { renderHits(el, await getJson(`/api/search?${p}`)); } catch (e) { el.innerHTML = `<li class="muted">${esc(e.message)}</li>`; }
    };
    await Promise.all([run("relevance", $("results-relevance")), run("trending", $("results-trending"))]);
  });

  refreshReady(); startTrending(); refreshRuns(); refreshModels();
  setInterval(refreshReady, 10000); setInterval(refreshRuns, 10000); setInterval(refreshModels, 30000);
})();
