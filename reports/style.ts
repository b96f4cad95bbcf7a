/** The report's stylesheet (inline in the HTML file; the dashboard serves the same). */
export const REPORT_CSS = `
:root{--done:#1a7f37;--running:#0969da;--failed:#cf222e;--pending:#6e7781;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--card:#f6f8fa;--track:#e6eaef}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif;color:var(--fg);background:#fff}
main{max-width:1200px;margin:0 auto;padding:16px}
h1{font-size:1.45rem;margin:0 0 4px}
h2{font-size:1.05rem;margin:0 0 8px}
h2 small{font-weight:normal;color:var(--muted)}
.meta,.note{color:var(--muted);font-size:.85rem;margin:0}
header{margin-bottom:16px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,165px),1fr));gap:10px;margin-bottom:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px;min-width:0}
.card h2{font-size:.78rem;font-weight:600;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);margin:0}
.card .value{font-size:1.6rem;font-weight:650;margin:2px 0;line-height:1.2}
.card .value small{font-size:.95rem;font-weight:normal;color:var(--muted)}
.card .sub{font-size:.82rem;color:var(--muted);margin:0;overflow-wrap:anywhere}
.card .pbar{display:block;width:100%;margin:4px 0 6px}
.card.bad{border-color:var(--failed)}
.card.bad .value{color:var(--failed)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,380px),1fr));gap:16px;margin-bottom:16px}
.chart{margin:0;border:1px solid var(--line);border-radius:8px;padding:10px 12px;min-width:0}
.chart figcaption{display:flex;flex-wrap:wrap;align-items:baseline;gap:2px 10px;margin-bottom:6px}
.chart figcaption h2{margin:0}
.chart svg{display:block;overflow:hidden}
.chart text{font-size:12px;fill:var(--fg)}
.chart text.detail,.chart text.axis{fill:var(--muted);font-size:11px}
.chart text.axis{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.chart text.pct{font-weight:600}
.track{fill:var(--track)}
.bar-done{fill:var(--done)}
.bar-failed{fill:var(--failed)}
.grid{stroke:var(--line);stroke-width:1}
.line{fill:none;stroke:var(--running);stroke-width:2;stroke-linejoin:round}
.area{fill:var(--running);fill-opacity:.12;stroke:none}
.pt{fill:#fff;stroke:var(--running);stroke-width:1.5}
.empty{color:var(--muted);font-style:italic}
section{margin-bottom:16px}
.table-scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);border-radius:8px;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.88rem}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
thead th{background:var(--card);font-weight:600;white-space:nowrap;position:sticky;top:0}
tbody tr:last-child>*{border-bottom:0}
tr.group th{background:#eef1f4;font-weight:600;color:var(--muted);font-size:.8rem;letter-spacing:.02em}
td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.time{white-space:nowrap;font-variant-numeric:tabular-nums}
table.mailboxes th.name{font-weight:normal;min-width:10rem;max-width:18rem;overflow-wrap:anywhere;position:sticky;left:0;background:#fff;z-index:1}
table.mailboxes thead th:first-child{position:sticky;left:0;z-index:2}
.name .src{display:block;font-weight:600}
.name .tgt{display:block;color:var(--muted);font-size:.8rem}
td.reason{overflow-wrap:anywhere;min-width:12rem}
small{color:var(--muted)}
.state{display:inline-block;white-space:nowrap;border-radius:999px;padding:1px 9px;font-size:.8rem;font-weight:600;color:#fff}
.state.s-done{background:var(--done)}
.state.s-running{background:var(--running)}
.state.s-failed{background:var(--failed)}
.state.s-pending{background:var(--pending)}
.state-text{font-weight:600}
.state-text.s-done{color:var(--done)}
.state-text.s-running{color:var(--running)}
.state-text.s-failed{color:var(--failed)}
.state-text.s-pending{color:var(--pending)}
td.progress{white-space:nowrap}
.pbar{display:inline-block;vertical-align:middle;width:90px;height:8px;background:var(--track);border-radius:4px;overflow:hidden}
.pfill{display:block;height:100%;background:var(--running)}
.pfill.s-done{background:var(--done)}
.pfill.s-failed{background:var(--failed)}
.pfill.s-pending{background:var(--pending)}
td.progress .pct{display:inline-block;min-width:3.2em;text-align:right;margin-left:6px;font-variant-numeric:tabular-nums}
td.bad{color:var(--failed);font-weight:600}
footer{border-top:1px solid var(--line);padding-top:10px;font-size:.85rem;color:var(--muted)}
footer h2{font-size:.9rem;color:var(--fg)}
footer ul{padding-left:1.2em;margin:0 0 8px}
code{font-size:.85em}
.kind{white-space:nowrap}
/* Phones: one card per mailbox (and per wave); the most wanted fields first, every cell labelled. */
@media (max-width:640px){
main{padding:10px}h1{font-size:1.2rem}.card .value{font-size:1.3rem}
.mailbox-list,.wave-list{overflow:visible;border:0;border-radius:0}
table.mailboxes,table.mailboxes tbody,table.waves,table.waves tbody{display:block;width:100%}
table.mailboxes thead,table.waves thead{display:none}
table.mailboxes tr.group{display:block}
table.mailboxes tr.group th{display:block;border:0;border-radius:6px;margin:12px 0 6px}
table.mailboxes tr.mailbox,table.waves tr.wave{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:4px 12px;border:1px solid var(--line);border-radius:8px;padding:8px 10px;margin-bottom:8px}
table.mailboxes tr.mailbox>*,table.waves tr.wave>*{display:block;border:0;padding:0;min-width:0;text-align:left;white-space:normal}
table.mailboxes th.name,table.waves tr.wave>th{grid-column:1/-1;position:static;min-width:0;max-width:none;background:none}
table.mailboxes td.progress{white-space:nowrap;text-align:right}
table.mailboxes td.progress .pbar{width:calc(100% - 3.6em)}
[data-label]::before{content:attr(data-label);display:block;font-size:.72rem;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
}
@media print{.table-scroll{overflow:visible;border:0}.chart,.card{break-inside:avoid}thead th,table.mailboxes th.name{position:static}}
`;
