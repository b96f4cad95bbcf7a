/**
 * The dashboard page's own script (served as /dashboard.js, allowed by `script-src 'self'`): every
 * few seconds it asks /api/report (the report model and its rendered content, same origin, the
 * session cookie) and swaps the page's content in place; the time-zone script runs again on
 * `ums:updated`. A 401 (token gone) reloads the page, which then shows the token page; a lost
 * connection is said in the live line, and it keeps trying.
 */
export const DASHBOARD_SCRIPT = `(function(){
var main=document.getElementById('report');var live=document.getElementById('live');
var every=Number(live.getAttribute('data-refresh'))||5;var last=main.getAttribute('data-generated')||'';
function say(t,c){live.textContent=t;live.className='live '+c}
function later(){setTimeout(tick,every*1000)}
function tick(){
fetch('/api/report',{credentials:'same-origin',cache:'no-store',headers:{'Accept':'application/json'}})
.then(function(r){if(r.status===401){location.reload();return null}if(!r.ok){return r.text().then(function(t){throw new Error(t||('HTTP '+r.status))})}return r.json()})
.then(function(d){if(!d)return;if(d.report.generatedAt!==last){last=d.report.generatedAt;main.innerHTML=d.html;main.setAttribute('data-generated',last);document.dispatchEvent(new Event('ums:updated'))}
say('Live: refreshed every '+every+' s','ok');later()})
.catch(function(e){say('Not updated: '+(e&&e.message?e.message:'connection lost')+' (trying again every '+every+' s)','bad');later()})}
later()})();`;

/** The live line above the report (its text is replaced by the script). */
export function liveBanner(refreshSeconds: number): string {
  return `<p id="live" class="live" role="status" data-refresh="${refreshSeconds}">Live: refreshed every ${refreshSeconds} s (needs JavaScript; reload the page otherwise)</p>\n`;
}

export const LIVE_CSS = '.live{max-width:1200px;margin:0 auto;padding:6px 16px 0;font-size:.8rem;color:#59636e}.live.bad{color:#cf222e;font-weight:600}';
