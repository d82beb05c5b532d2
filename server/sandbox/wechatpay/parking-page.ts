/**
 * The sandbox's stand-in for WeChat's 车主服务 sign-up mini-program (appid wxbcad394b3d99dac9, path
 * pages/auth-creditpay/auth-creditpay), as a plain HTML page for the H5 demo: it takes the same parameters the
 * mini-program takes in extraData (mchid, sub_mchid, openid, plate_number, plate_color, trade_scene) plus
 * `return_url`, and lets the "user" open (or resume) the service for that plate. Like WeChat, it returns no
 * result to the merchant: the merchant queries 查询车牌服务开通信息 afterwards.
 *
 * No script, forms only; every value is HTML-escaped; return_url is followed only when it is http(s).
 */

export interface SignupParams {
  mchid: string;
  subMchid?: string;
  openid: string;
  plateNumber: string;
  plateColor: string;
  tradeScene?: string;
  returnUrl?: string;
}

const COLOR_NAMES: Record<string, string> = {
  BLUE: '蓝色',
  GREEN: '绿色',
  YELLOW: '黄色',
  BLACK: '黑色',
  WHITE: '白色',
  LIMEGREEN: '黄绿色',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** A return URL we are willing to link to (http or https, nothing else). */
export function safeReturnUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.25rem}.plate{font-size:1.5rem;font-weight:600;letter-spacing:.1em}.note{color:#666;font-size:.875rem}
button{font-size:1rem;padding:.6rem 1.2rem;margin:.25rem .5rem .25rem 0;border-radius:.4rem;border:1px solid #07c160}
button.primary{background:#07c160;color:#fff}a{color:#576b95}</style></head>
<body><p class="note">微信支付分停车服务（沙箱）</p>${body}</body></html>`;
}

function hidden(p: SignupParams): string {
  const fields: [string, string | undefined][] = [
    ['mchid', p.mchid],
    ['sub_mchid', p.subMchid],
    ['openid', p.openid],
    ['plate_number', p.plateNumber],
    ['plate_color', p.plateColor],
    ['trade_scene', p.tradeScene],
    ['return_url', p.returnUrl],
  ];
  return fields
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${escapeHtml(v ?? '')}">`)
    .join('');
}

/** The sign-up page; `current` is the plate's service state for this openid (NORMAL / PAUSE / OUT_SERVICE). */
export function signupPage(action: string, p: SignupParams, current: string): string {
  const color = COLOR_NAMES[p.plateColor] ?? p.plateColor;
  const plate = `<p class="plate">${escapeHtml(p.plateNumber)}</p><p class="note">${escapeHtml(color)}车牌</p>`;
  let offer: string;
  if (current === 'NORMAL') {
    offer = '<p>该车牌已开通微信支付分停车服务，离场时自动扣费。</p>';
  } else {
    const verb = current === 'PAUSE' ? '恢复服务' : '同意并开通';
    offer = `<p>${current === 'PAUSE' ? '该车牌的服务已暂停。' : '开通后，在支持的停车场离场时自动扣除停车费（先离场后付费）。'}</p>
<form method="post" action="${escapeHtml(action)}">${hidden(p)}
<button class="primary" type="submit" name="action" value="open">${verb}</button>
<button type="submit" name="action" value="cancel">暂不开通</button></form>`;
  }
  const back = safeReturnUrl(p.returnUrl);
  return layout('开通微信支付分停车服务', `<h1>开通微信支付分停车服务</h1>${plate}${offer}${back ? `<p><a id="return" href="${escapeHtml(back)}">返回商户</a></p>` : ''}`);
}

/** After the form: what happened, and the way back to the merchant. */
export function signupResultPage(p: SignupParams, outcome: 'opened' | 'cancelled' | 'refused', detail?: string): string {
  const text = outcome === 'opened' ? '开通成功' : outcome === 'cancelled' ? '已取消，未开通' : `开通失败：${detail ?? ''}`;
  const back = safeReturnUrl(p.returnUrl);
  return layout(
    text,
    `<h1 id="outcome" data-outcome="${outcome}">${escapeHtml(text)}</h1><p class="plate">${escapeHtml(p.plateNumber)}</p>${back ? `<p><a id="return" href="${escapeHtml(back)}">返回商户</a></p>` : ''}`,
  );
}

/** A refusal page (wrong merchant, missing parameters): WeChat's mini-program shows such a message too. */
export function signupRefusedPage(message: string): string {
  return layout('无法开通', `<h1 id="outcome" data-outcome="refused">${escapeHtml(message)}</h1>`);
}
