/**
 * The sign-up page the sandbox shows for an alipay.user.agreement.page.sign URL: what Alipay's H5 page shows
 * (the merchant, the product, the merchant's login id for the user), a sandbox user to sign as (the
 * external_logon_id when it is a sandbox user name, else "driver"), and two buttons. The form posts to the
 * control API (agreements.ts), which signs and redirects to return_url. Every value is HTML-escaped.
 */
import type { PageRefusal, SandboxAgreement, SignRequest } from './agreement-book';

const esc = (v: string): string =>
  v.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const PRODUCT_NAMES: Readonly<Record<string, string>> = {
  GENERAL_WITHHOLDING_P: '商家扣款（免密支付）',
  CYCLE_PAY_AUTH_P: '周期扣款',
};

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font-family:-apple-system,"PingFang SC","WenQuanYi Zen Hei",sans-serif;margin:0;background:#f5f5f5;color:#333}
header{background:#1677ff;color:#fff;padding:14px 16px;font-size:17px}
main{padding:16px}
.card{background:#fff;border-radius:8px;padding:16px;margin-bottom:12px}
dt{color:#999;font-size:13px;margin-top:8px}dd{margin:2px 0 0 0}
input{font-size:16px;padding:8px;width:100%;box-sizing:border-box;border:1px solid #ddd;border-radius:6px}
button{font-size:17px;width:100%;padding:12px;border:0;border-radius:6px;margin-top:10px}
.primary{background:#1677ff;color:#fff}.secondary{background:#fff;color:#666;border:1px solid #ddd}
.error{color:#d4380d}.note{color:#999;font-size:12px}
</style></head><body><header>支付宝 · 沙箱</header><main>${body}</main></body></html>`;
}

export function signPage(r: SignRequest, appId: string, defaultUser: string, existing?: SandboxAgreement): string {
  const rows: [string, string][] = [
    ['服务商户 (app_id)', appId],
    ['开通服务', PRODUCT_NAMES[r.personalProductCode] ?? r.personalProductCode],
    ['签约场景', r.signScene],
  ];
  if (r.externalLogonId) rows.push(['商户账号', r.externalLogonId]);
  if (r.externalAgreementNo) rows.push(['商户签约号', r.externalAgreementNo]);
  const facts = rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
  const already = existing
    ? `<p class="note" data-existing="${esc(existing.agreementNo)}">该商户签约号已签约（协议号 ${esc(existing.agreementNo)}）。</p>`
    : '';
  return layout(
    '开通免密支付',
    `<div class="card"><h2 style="margin:0 0 8px 0;font-size:18px">开通免密支付</h2>
<p style="margin:0">开通后，停车费将在离场时从你的支付宝自动扣除，无需每次确认。</p><dl>${facts}</dl>${already}</div>
<form class="card" method="post" action="/__sandbox/agreements/page/${esc(r.token)}">
<label>以此沙箱用户签约<input name="user" value="${esc(defaultUser)}" autocomplete="off"></label>
<button class="primary" type="submit" name="action" value="sign" id="sign">同意协议并开通</button>
<button class="secondary" type="submit" name="action" value="cancel" id="cancel">暂不开通</button>
</form>`,
  );
}

/** What Alipay shows instead of the sign page when the request is refused. */
export function refusalPage(refusal: PageRefusal): string {
  return layout(
    '签约失败',
    `<div class="card error" data-code="${esc(refusal.code)}"><h2 style="margin:0 0 8px 0;font-size:18px">抱歉，暂时无法开通</h2>
<p>错误码：${esc(refusal.code)}</p><p>${esc(refusal.message)}</p></div>`,
  );
}

/** After confirming or backing out, when the request had no return_url. */
export function resultPage(outcome: 'signed' | 'cancelled', agreement?: SandboxAgreement): string {
  return outcome === 'signed' && agreement
    ? layout('开通成功', `<div class="card" data-agreement="${esc(agreement.agreementNo)}"><h2 style="margin:0;font-size:18px">开通成功</h2><p>协议号 ${esc(agreement.agreementNo)}</p></div>`)
    : layout('未开通', `<div class="card"><h2 style="margin:0;font-size:18px">你已取消开通</h2></div>`);
}
