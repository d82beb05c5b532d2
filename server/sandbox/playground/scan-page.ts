/**
 * What the phone shows after scanning a lane screen's payment QR (the 4.16 code): the wallet's payment
 * sheet — WeChat Pay for a Native code_url (weixin://wxpay/…), Alipay for a precreate qr_code — with the
 * payee, what for and how much, and 确认支付 / 取消. The sandbox of that wallet is the payer. Forms only, no
 * script; every value is HTML-escaped.
 */

export interface ScanTarget {
  wallet: 'wechat' | 'alipay';
  outTradeNo: string;
  description: string;
  /** Yuan, "4.00". */
  amount: string;
  state: 'open' | 'paid' | 'closed';
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const WALLET = {
  wechat: { name: '微信支付', color: '#07c160', mark: '✓' },
  alipay: { name: '支付宝', color: '#1677ff', mark: '支' },
} as const;

function layout(title: string, color: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>
<style>
*{box-sizing:border-box}body{margin:0;font-family:-apple-system,"PingFang SC","Noto Sans CJK SC","WenQuanYi Zen Hei",system-ui,sans-serif;background:#f2f3f5;color:#1d2129}
.bar{background:${color};color:#fff;padding:14px 16px;font-size:16px;font-weight:600;display:flex;align-items:center;gap:8px}
.bar .mark{display:inline-flex;width:24px;height:24px;border-radius:50%;background:#fff;color:${color};align-items:center;justify-content:center;font-size:14px;font-weight:700}
.sandbox{font-size:12px;font-weight:400;opacity:.85;margin-left:auto}
.card{background:#fff;margin:16px;border-radius:12px;padding:24px 20px;text-align:center}
.payee{color:#4e5969;font-size:15px}.what{color:#86909c;font-size:13px;margin-top:6px}
.amount{font-size:40px;font-weight:600;margin:18px 0 6px}.amount small{font-size:22px;margin-right:2px}
form{margin:0 16px}button{display:block;width:100%;font-size:17px;padding:13px;border-radius:8px;border:0;margin-top:12px;cursor:pointer}
.pay{background:${color};color:#fff}.cancel{background:#fff;color:#4e5969}
.outcome{font-size:20px;font-weight:600;margin:8px 0}.ok{color:${color}}.bad{color:#f53f3f}.note{color:#86909c;font-size:13px;margin-top:10px}
</style></head><body>${body}</body></html>`;
}

/** The payment sheet for a scanned code (or why there is none). */
export function scanPage(code: string, t: ScanTarget | undefined, parkName: string): string {
  if (!t) {
    return layout('扫一扫', '#4e5969', `<div class="bar">扫一扫<span class="sandbox">演示沙箱</span></div>
<div class="card"><p class="outcome bad" id="outcome" data-outcome="unknown">无法识别的二维码</p><p class="note">这不是一个待支付的车道收款码。</p></div>`);
  }
  const w = WALLET[t.wallet];
  const head = `<div class="bar"><span class="mark">${w.mark}</span>${w.name}<span class="sandbox">演示沙箱</span></div>`;
  const sheet = `<div class="card"><div class="payee">${esc(parkName)}</div><div class="what">${esc(t.description)}</div>
<div class="amount" id="amount"><small>¥</small>${esc(t.amount)}</div></div>`;
  if (t.state !== 'open') {
    return layout(w.name, w.color, `${head}${sheet}<div class="card"><p class="outcome ${t.state === 'paid' ? 'ok' : 'bad'}" id="outcome" data-outcome="${t.state}">${t.state === 'paid' ? '已支付' : '二维码已失效'}</p></div>`);
  }
  return layout(
    w.name,
    w.color,
    `${head}${sheet}<form method="post" action="/demo/scan"><input type="hidden" name="code" value="${esc(code)}">
<button class="pay" type="submit" name="action" value="pay">确认支付</button>
<button class="cancel" type="submit" name="action" value="cancel">取消</button></form>`,
  );
}

/** After the sheet: paid (the lot learns it by polling ParkPay, 4.17), cancelled or refused. */
export function scanResultPage(t: ScanTarget | undefined, text: string): string {
  const w = t ? WALLET[t.wallet] : { name: '扫一扫', color: '#4e5969', mark: '?' };
  const ok = t?.state === 'paid';
  return layout(
    text,
    w.color,
    `<div class="bar"><span class="mark">${w.mark}</span>${w.name}<span class="sandbox">演示沙箱</span></div>
<div class="card"><p class="outcome ${ok ? 'ok' : 'bad'}" id="outcome" data-outcome="${ok ? 'paid' : 'not_paid'}">${esc(text)}</p>
${t ? `<div class="amount"><small>¥</small>${esc(t.amount)}</div>` : ''}
<p class="note">${ok ? '车场查询到支付结果后即抬杆放行。' : ''}</p></div>`,
  );
}
