/**
 * Times in the viewer's time zone. The HTML is written in UTC (so it reads right without
 * JavaScript, or where scripts are blocked): every time is a `<time datetime="ISO" data-f="…">`
 * (or an SVG `<text data-t="ISO" data-f="…">`) whose text is the UTC time and whose title says so.
 * A tiny inline script (allowed by the page's Content-Security-Policy through its SHA-256 hash,
 * nothing else may run) rewrites each text in the browser's zone and keeps the UTC time in the
 * title (shown on hover); elements marked `data-zone` get the zone's name.
 *
 * `data-f`: `dt` date and time, `t` time only (chart axes), `d` date only. It runs again on the
 * `ums:updated` event (the dashboard's refresh).
 */
import { createHash } from 'node:crypto';
import { esc } from './escape.js';
import { fmtTime } from './text.js';

export const LOCAL_TIME_SCRIPT = `(function(){
function two(n){return (n<10?'0':'')+n}
function run(){
var zone='';try{zone=Intl.DateTimeFormat().resolvedOptions().timeZone||''}catch(e){}
var els=document.querySelectorAll('[data-f]');
for(var i=0;i<els.length;i++){var el=els[i];var iso=el.getAttribute('datetime')||el.getAttribute('data-t');var t=Date.parse(iso||'');if(isNaN(t))continue;
var d=new Date(t);var f=el.getAttribute('data-f');
var date=d.getFullYear()+'-'+two(d.getMonth()+1)+'-'+two(d.getDate());var time=two(d.getHours())+':'+two(d.getMinutes())+(el.hasAttribute('data-s')?':'+two(d.getSeconds()):'');
el.textContent=f==='t'?time:f==='d'?date:date+' '+time;
var u=new Date(t).toISOString();var utc=u.slice(0,10)+' '+u.slice(11,el.hasAttribute('data-s')?19:16)+' UTC';
if(el.tagName.toLowerCase()==='text'){var tt=el.querySelector('title')||el.appendChild(document.createElementNS('http://www.w3.org/2000/svg','title'));tt.textContent=utc}else{el.title=utc}}
var zs=document.querySelectorAll('[data-zone]');for(var j=0;j<zs.length;j++){zs[j].textContent=zone?zone+' time':'your local time'}
document.documentElement.setAttribute('data-local-times','1')}
run();document.addEventListener('ums:updated',run)})();`;

/** The CSP source that lets exactly this script run. */
export const LOCAL_TIME_SCRIPT_HASH = `'sha256-${createHash('sha256').update(LOCAL_TIME_SCRIPT).digest('base64')}'`;

/**
 * A time for people: UTC text (the no-script fallback) in a `<time>` the script localises.
 * `what`: `dt` date and time, `t` time, `d` date; `seconds` adds seconds. "–" for null.
 */
export function timeTag(iso: string | null, opts: { what?: 'dt' | 't' | 'd'; seconds?: boolean } = {}): string {
  if (iso === null) return '–';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return esc(iso);
  const utc = fmtTime(iso, { seconds: opts.seconds === true });
  const what = opts.what ?? 'dt';
  const text = what === 't' ? utc.slice(11, -4) : what === 'd' ? utc.slice(0, 10) : utc;
  const isoUtc = new Date(t).toISOString();
  return `<time datetime="${isoUtc}" data-f="${what}"${opts.seconds === true ? ' data-s' : ''} title="${esc(utc)}">${esc(text)}</time>`;
}

