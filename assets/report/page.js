// skbtape report, in the browser: draws the journeys (one lane per netns, hops in time order, median deltas on the
// edges, the drop in red) and the bar charts with the ECharts bundled above, from the JSON embedded in the page.
// The tables, facts and the diff's function lists are already in the HTML; this adds the pictures and clicks.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('skbtape-data').textContent);
  var RED = '#c62828', BLUE = '#1f5fbf', GREY = '#8a93a6';

  function fmtNs(ns) {
    if (ns === null || ns === undefined) return '';
    if (ns < 1000) return ns + 'ns';
    if (ns < 1e6) return (ns / 1e3).toFixed(1) + 'µs';
    if (ns < 1e9) return (ns / 1e6).toFixed(2) + 'ms';
    return (ns / 1e9).toFixed(3) + 's';
  }

  /** Lanes: one per netns in order of first appearance; a hop without a netns stays in the lane before it. */
  function lanesOf(hops) {
    var lanes = [], laneOf = [], cur = null;
    hops.forEach(function (h) {
      if (h.netns !== null) {
        var name = 'netns ' + h.netns + (h.netnsName ? ' (' + h.netnsName + ')' : '');
        if (lanes.indexOf(name) < 0) lanes.push(name);
        cur = lanes.indexOf(name);
      }
      if (cur === null) { if (lanes.length === 0) lanes.push('(no netns)'); cur = 0; }
      laneOf.push(cur);
    });
    if (lanes.length === 0) lanes.push('(no netns)');
    return { lanes: lanes, laneOf: laneOf };
  }

  function drawJourney(el, path, onHop) {
    var hops = path.hops, L = lanesOf(hops);
    // About 29 px a hop, so a 40-hop journey fits a wide screen; longer ones scroll sideways.
    var avail = el.parentNode.clientWidth || 1200;
    el.style.width = Math.max(avail, hops.length * 29 + 200) + 'px';
    el.style.height = (190 + L.lanes.length * 80) + 'px';
    var chart = echarts.init(el, null, { renderer: 'svg' });
    var nodes = hops.map(function (h, i) {
      var drop = h.dropReason !== null;
      return {
        id: String(i), name: h.func, value: [i, L.laneOf[i]],
        symbol: drop ? 'diamond' : 'circle', symbolSize: drop ? 22 : 11,
        itemStyle: { color: drop ? RED : (h.netnsChange ? '#7b1fa2' : BLUE) },
        label: { show: true, position: 'top', rotate: 62, align: 'left', fontSize: 11, color: drop ? RED : '#1d2330', fontWeight: drop ? 'bold' : 'normal',
          formatter: drop ? h.func + ' ✗ ' + h.dropReason.replace(/^SKB_DROP_REASON_/, '') : h.func },
        hop: h,
      };
    });
    var links = [], deltas = [];
    for (var i = 1; i < hops.length; i++) {
      var d = hops[i].medianDeltaNs, cross = L.laneOf[i] !== L.laneOf[i - 1];
      links.push({ source: String(i - 1), target: String(i),
        lineStyle: { color: cross ? '#7b1fa2' : GREY, width: cross ? 2.5 : 1.2, type: cross ? 'dashed' : 'solid' },
        label: { show: false } });
      // The edge's delta sits under its middle, rotated like the names: at 32 px a hop a flat label would overlap.
      deltas.push({ value: [i - 0.5, L.laneOf[i]], label: { formatter: (cross ? 'netns → ' : '') + (d !== null ? '+' + fmtNs(d) : ''), color: cross ? '#7b1fa2' : '#5b6475' } });
    }
    chart.setOption({
      animation: false,
      grid: { left: 170, right: 30, top: 130, bottom: 60 },
      tooltip: { formatter: function (p) {
        if (p.dataType !== 'node') return '';
        var h = p.data.hop;
        return '#' + h.hop + ' ' + h.func + (h.iface ? '<br>' + h.iface : '') + (h.netns !== null ? '<br>netns ' + h.netns : '') +
          (h.relNs !== null ? '<br>+' + fmtNs(h.relNs) + ' since the first hop (entry times)' : '') + (h.dropReason ? '<br><b>' + h.dropReason + '</b>' : '');
      } },
      xAxis: { type: 'value', min: -0.5, max: hops.length - 0.5, show: false },
      yAxis: { type: 'category', data: L.lanes, inverse: true, axisLabel: { fontSize: 11 }, splitLine: { show: true } },
      series: [{ type: 'graph', coordinateSystem: 'cartesian2d', data: nodes, links: links, edgeSymbol: ['none', 'arrow'], edgeSymbolSize: 6,
        emphasis: { focus: 'none' } },
        { type: 'scatter', data: deltas, symbolSize: 0, silent: true,
          label: { show: true, position: 'bottom', rotate: 62, align: 'right', distance: 8, fontSize: 9 } }],
    });
    chart.on('click', function (p) { if (p.dataType === 'node') onHop(p.data.hop.hop); });
    return chart;
  }

  function bars(el, labels, values, color, horizontal) {
    if (!el) return;
    if (horizontal) el.style.height = (70 + labels.length * 34) + 'px';
    var chart = echarts.init(el, null, { renderer: 'svg' });
    var cat = { type: 'category', data: labels, axisLabel: { fontSize: 11, width: 420, overflow: 'truncate' } };
    var val = { type: 'value', minInterval: 1 };
    chart.setOption({ animation: false, tooltip: {}, grid: { left: horizontal ? 430 : 60, right: 30, top: 20, bottom: horizontal ? 30 : 60, containLabel: false },
      xAxis: horizontal ? val : cat, yAxis: horizontal ? Object.assign(cat, { inverse: true }) : val,
      series: [{ type: 'bar', data: values, barMaxWidth: 28, itemStyle: { color: color }, label: { show: true, position: horizontal ? 'right' : 'top' } }] });
  }

  data.captures.forEach(function (c, ci) {
    c.paths.forEach(function (p, pi) {
      var el = document.getElementById('journey-' + ci + '-' + pi);
      if (!el) return;
      var pre = document.getElementById('events-' + ci + '-' + pi);
      var details = document.getElementById('details-' + ci + '-' + pi);
      drawJourney(el, p, function (hop) {
        // Click-through: open the example's events and mark the line of that hop (the header line comes first).
        if (!pre) return;
        details.open = true;
        var lines = pre.querySelectorAll('span.line');
        lines.forEach(function (s) { s.classList.remove('hl'); });
        var hasHeader = pre.getAttribute('data-header') === '1';
        var line = lines[hop - 1 + (hasHeader ? 1 : 0)];
        if (line) { line.classList.add('hl'); line.scrollIntoView({ block: 'nearest' }); }
      });
    });
    bars(document.getElementById('verdicts-' + ci), c.verdicts.map(function (v) { return v.verdict; }), c.verdicts.map(function (v) { return v.n; }), BLUE, false);
    bars(document.getElementById('drops-' + ci), c.drops.map(function (d) { return (d.reason || 'reason unknown') + ' at ' + (d.site || '?'); }), c.drops.map(function (d) { return d.n; }), RED, true);
    bars(document.getElementById('metrics-' + ci), c.metrics.map(function (m) { return m.reason + ' (' + m.direction + ')'; }), c.metrics.map(function (m) { return m.packets; }), '#6d4c41', true);
  });
  document.body.setAttribute('data-rendered', 'yes');
})();
