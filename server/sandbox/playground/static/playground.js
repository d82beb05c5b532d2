/*
 * The lot playground's page: polls GET /demo/api/state (the lot, the shared clock, the calls between the
 * lot and ParkPay, barrier openings) and draws it; buttons call POST /demo/api/…; the phone frame is an
 * iframe of the driver app (same origin) that follows the car you pick.
 */
(function () {
  'use strict';

  var POLL_MS = 700;
  var $ = function (id) { return document.getElementById(id); };
  var state = null;
  var cursor = { calls: 0, gates: 0 };
  var lanesBuilt = false;
  var picked = null; // orderId the phone follows
  var logRows = 0;
  var busy = false;

  // ---- small helpers ------------------------------------------------------------------------------
  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function el(tag, cls, html) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (html != null) e.innerHTML = html;
    return e;
  }
  var toastTimer;
  function toast(text, kind) {
    var t = $('toast');
    t.textContent = text;
    t.className = 'toast show ' + (kind || '');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.className = 'toast'; }, 3800);
  }
  function api(method, path, body) {
    return fetch('/demo/api' + path, {
      method: method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) {
          var e = new Error((j.error && j.error.message) || 'HTTP ' + r.status);
          e.code = j.error && j.error.code;
          e.details = j.error || {};
          throw e;
        }
        return j;
      });
    });
  }
  function minutesText(m) {
    if (m < 60) return m + ' 分钟';
    var h = Math.floor(m / 60);
    if (h < 24) return h + ' 小时 ' + (m % 60) + ' 分';
    return Math.floor(h / 24) + ' 天 ' + (h % 24) + ' 小时';
  }
  function shortMinutes(m) {
    if (m < 60) return m + '分';
    var h = Math.floor(m / 60);
    if (h < 24) return h + '时' + (m % 60) + '分';
    return Math.floor(h / 24) + '天' + (h % 24) + '时';
  }
  function offsetText(ms) {
    var m = Math.round(ms / 60000);
    if (Math.abs(m) < 1) return 'ParkPay 与沙箱共用 · 与真实时间一致';
    return 'ParkPay 与沙箱共用 · 比真实时间快 ' + minutesText(m);
  }
  var PROVINCES = '京沪粤苏浙川鲁豫鄂湘';
  var LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
  function randomPlate() {
    var p = PROVINCES[Math.floor(Math.random() * PROVINCES.length)] + LETTERS[Math.floor(Math.random() * 8)];
    for (var i = 0; i < 5; i++) p += Math.random() < 0.25 ? LETTERS[Math.floor(Math.random() * LETTERS.length)] : String(Math.floor(Math.random() * 10));
    return p;
  }

  // ---- the phone --------------------------------------------------------------------------------------
  var phone = $('phone');
  var phoneSeq = 0;
  // The driver app's demo login is by name (the app asks for one). The phone's driver has one before the
  // app first opens, so following a car never stops at a login form: the app's own storage entry (same
  // origin; Taro keeps {data: value} as JSON), left alone once set — the phone may switch users itself.
  var DRIVER_KEY = 'parkpay.demoName';
  var DEFAULT_DRIVER = '演示司机';
  function phoneDriver() {
    try {
      var item = JSON.parse(localStorage.getItem(DRIVER_KEY) || 'null');
      if (item && typeof item.data === 'string' && item.data) return item.data;
      localStorage.setItem(DRIVER_KEY, JSON.stringify({ data: DEFAULT_DRIVER }));
      return DEFAULT_DRIVER;
    } catch (e) {
      return null; // no storage: the app asks for a name
    }
  }
  function showInPhone(url, label) {
    var driver = phoneDriver();
    // A full load each time (a query the app ignores), so the app starts at that page like after a scan.
    phoneSeq += 1;
    var u = url.indexOf('#') >= 0 && url.indexOf('/#') === 0 ? '/?v=' + phoneSeq + url.slice(1) : url;
    phone.src = u;
    $('following').textContent = label;
    $('driver').textContent = driver ? '司机 ' + driver : '司机手机';
  }
  var PARK = function () { return state ? state.park.parkNumber : 'p_demo_001'; };
  var PHONE_PAGES = {
    home: ['/#/pages/index/index', '首页'],
    plates: ['/#/packages/me/plates/index', '我的车牌'],
    agreements: ['/#/packages/me/agreements/index', '无感支付'],
    parking: ['/#/packages/me/parking/index', '我的停车'],
  };
  document.querySelectorAll('[data-phone]').forEach(function (b) {
    b.addEventListener('click', function () {
      var p = PHONE_PAGES[b.getAttribute('data-phone')];
      picked = null;
      showInPhone(p[0], p[1]);
      renderCars();
    });
  });
  function followCar(car) {
    picked = car.orderId;
    if (car.unlicensed) {
      // An unlicensed car pays by scanning its exit lane's code (4.30), as the driver of that car.
      showInPhone('/q/' + encodeURIComponent(PARK()) + '/' + encodeURIComponent(car.exitLane || '2'), car.plate + ' · 出口扫码');
    } else {
      showInPhone('/#/pages/pay/index?kind=prepay&park=' + encodeURIComponent(PARK()) + '&plate=' + encodeURIComponent(car.plate), car.plate + ' · 缴费');
    }
    renderCars();
  }

  // ---- lanes -----------------------------------------------------------------------------------------
  function buildLanes(lanes) {
    var box = $('gates');
    box.innerHTML = '';
    lanes.forEach(function (lane) {
      var card = el('div', 'lane ' + lane.direction);
      card.id = 'lane-' + lane.passagewayId;
      card.setAttribute('data-lane', lane.passagewayId);
      var head =
        '<div class="lane-head"><b>' + esc(lane.name) + '</b><span class="tag ' + lane.direction + '">' + (lane.direction === 'in' ? '入口' : '出口') +
        '</span><span class="area">' + (lane.direction === 'in' ? '→ ' : '← ') + esc(lane.areaName) + '</span><span class="lane-id">通道 ' + esc(lane.passagewayId) + '</span></div>';
      var scene =
        '<div class="scene"><div class="screen"><div class="led" data-led></div><div class="screen-qr" data-qr></div></div>' +
        '<div class="road"><div class="barrier" data-barrier><div class="post"></div><div class="arm"></div></div>' +
        '<div class="car-slot" data-slot></div></div></div>';
      var controls;
      if (lane.direction === 'in') {
        controls =
          '<div class="controls"><input class="plate-input" data-plate maxlength="10" value="' + esc(randomPlate()) + '" aria-label="车牌">' +
          '<button class="primary" data-act="arrive">驶入</button><button data-act="unlicensed" title="没有车牌：司机扫入口码入场">无牌车</button></div>';
      } else {
        controls =
          '<div class="controls exit-controls" data-exit-controls><span class="muted" data-exit-idle>车辆从下方列表「驶出」到这里</span>' +
          '<div class="pay-actions" data-pay-actions hidden><button class="primary" data-act="scan">手机扫码付</button>' +
          '<button data-act="booth-wechat" title="岗亭扫司机的微信付款码 (4.24)">付款码·微信</button>' +
          '<button data-act="booth-alipay" title="岗亭扫司机的支付宝付款码 (4.24)">付款码·支付宝</button>' +
          '<button data-act="cash" title="岗亭收现金后放行">现金</button><button data-act="retry" title="重新识别车牌：车场再向 ParkPay 请求 (4.16)">重新识别</button></div></div>';
      }
      card.innerHTML = head + scene + controls;
      box.appendChild(card);
      card.addEventListener('click', function (ev) {
        var b = ev.target.closest('[data-act]');
        if (b) laneAction(lane, b.getAttribute('data-act'), card);
      });
      var input = card.querySelector('[data-plate]');
      if (input) {
        input.addEventListener('keydown', function (ev) {
          if (ev.key === 'Enter') laneAction(lane, 'arrive', card);
        });
      }
    });
    lanesBuilt = true;
  }

  function laneAction(lane, act, card) {
    var now = state && state.lanes.find(function (l) { return l.passagewayId === lane.passagewayId; });
    if (act === 'arrive') {
      var input = card.querySelector('[data-plate]');
      var plate = input.value.trim();
      if (!plate) return toast('请输入车牌', 'bad');
      api('POST', '/arrivals', { lane: lane.passagewayId, plate: plate })
        .then(function (r) {
          toast(r.plate + ' 驶入' + lane.name + (r.carType !== '临时车' ? '（' + r.carType + '）' : ''), 'ok');
          input.value = randomPlate();
          poll();
        })
        .catch(function (e) { toast('车场拒绝入场：' + e.message, 'bad'); });
    } else if (act === 'unlicensed') {
      api('POST', '/unlicensed', { lane: lane.passagewayId }).then(function (r) {
        picked = null;
        showInPhone(r.link.replace(/^https?:\/\/[^/]+/, ''), '无牌车 · ' + lane.name + '扫码');
        toast('无牌车停在' + lane.name + '：在右侧手机里点「无牌车入场」', 'info');
        poll();
      });
    } else if (now && now.waiting) {
      var car = now.waiting;
      if (act === 'scan') {
        if (now.screen && now.screen.qrCode) {
          picked = car.orderId;
          showInPhone('/demo/scan?code=' + encodeURIComponent(now.screen.qrCode), car.plate + ' · 扫车道屏收款码');
        } else {
          // No payment QR on the screen: the lane's own code opens the app at this exit.
          followCar(Object.assign({}, findCar(car.orderId) || { plate: car.plate }, { orderId: car.orderId, exitLane: lane.passagewayId }));
        }
      } else {
        var booth = act === 'booth-wechat' ? 'wechat' : act === 'booth-alipay' ? 'alipay' : act === 'cash' ? 'cash' : undefined;
        depart(car.orderId, lane.passagewayId, booth);
      }
    }
  }

  function findCar(orderId) {
    return state && state.cars.find(function (c) { return c.orderId === orderId; });
  }

  function depart(orderId, lane, booth) {
    var body = { orderId: orderId };
    if (lane) body.lane = lane;
    if (booth) body.booth = booth;
    api('POST', '/departures', body)
      .then(function (r) {
        var how = r.lanePayment && r.lanePayment.section === '4.16' ? '（无感支付已扣费）' : r.lanePayment && r.lanePayment.section === '4.24' ? '（付款码已付）' : '';
        toast('抬杆放行 ' + how, 'ok');
        poll();
      })
      .catch(function (e) {
        if (e.code === 'unpaid') toast('需缴费 ¥' + (e.details.payCharge || '') + '，道闸未抬起' + (e.details.qrCode ? '：车道屏已显示收款码' : ''), 'info');
        else toast('出场失败：' + e.message, 'bad');
        poll();
      });
  }

  function renderLanes() {
    if (!lanesBuilt) buildLanes(state.lanes);
    state.lanes.forEach(function (lane) {
      var card = $('lane-' + lane.passagewayId);
      if (!card) return;
      var led = card.querySelector('[data-led]');
      var qr = card.querySelector('[data-qr]');
      var slot = card.querySelector('[data-slot]');
      var text;
      var qrHtml = '';
      var qrKey = '';
      if (lane.direction === 'in') {
        if (lane.unlicensedWaiting) {
          text = '<span class="amber">无牌车</span><br>请扫码入场';
          qrHtml = lane.linkQr;
          qrKey = 'link';
          slot.innerHTML = carHtml('无牌车', 'waiting');
        } else {
          text = '欢迎光临<br><span class="dim">' + esc(state.park.name) + '</span>';
          qrHtml = lane.linkQr;
          qrKey = 'link';
          if (!card.classList.contains('lifting')) slot.innerHTML = '';
        }
      } else if (lane.waiting) {
        var s = lane.screen;
        text = '<span class="plate-led">' + esc(lane.waiting.plate) + '</span><br>' + (s ? esc(s.message) : '请缴费 ' + esc(lane.waiting.owed) + ' 元');
        if (s && s.qrSvg) {
          qrHtml = s.qrSvg + '<span class="qr-wallet ' + s.wallet + '">' + (s.wallet === 'wechat' ? '微信' : '支付宝') + '</span>';
          qrKey = s.qrCode;
        }
        slot.innerHTML = carHtml(lane.waiting.plate, 'waiting');
      } else {
        text = '一路顺风<br><span class="dim">扫码缴费</span>';
        qrHtml = lane.linkQr;
        qrKey = 'link';
        if (!card.classList.contains('lifting')) slot.innerHTML = '';
      }
      // While the barrier is up the screen greets the car that passes (animateGate).
      if (led.innerHTML !== text && !card.classList.contains('lifting')) led.innerHTML = text;
      if (qr.getAttribute('data-key') !== qrKey) {
        qr.setAttribute('data-key', qrKey);
        qr.innerHTML = qrHtml;
        qr.classList.toggle('pay-qr', qrKey !== 'link' && qrKey !== '');
      }
      if (lane.direction === 'out') {
        var acts = card.querySelector('[data-pay-actions]');
        var idle = card.querySelector('[data-exit-idle]');
        acts.hidden = !lane.waiting;
        idle.hidden = !!lane.waiting;
      }
    });
  }

  function carHtml(plate, cls) {
    return '<div class="car ' + (cls || '') + '"><div class="car-body"><span class="car-plate">' + esc(plate || '无牌') + '</span></div></div>';
  }

  function animateGate(ev) {
    var card = $('lane-' + ev.passagewayId);
    if (!card) return;
    var slot = card.querySelector('[data-slot]');
    card.classList.add('lifting');
    card.querySelector('[data-barrier]').classList.add('up');
    if (ev.kind !== 'lift') {
      slot.innerHTML = carHtml(ev.plate, 'passing');
    }
    var led = card.querySelector('[data-led]');
    led.innerHTML = (ev.kind === 'in' ? '欢迎 ' : ev.kind === 'out' ? '一路顺风 ' : '远程抬杆 ') + '<br><span class="plate-led">' + esc(ev.plate || '') + '</span>';
    clearTimeout(card._gateTimer);
    card._gateTimer = setTimeout(function () {
      card.querySelector('[data-barrier]').classList.remove('up');
      card.classList.remove('lifting');
      slot.innerHTML = '';
      if (state) renderLanes();
    }, 2600);
  }

  // ---- cars, areas, faults, log ----------------------------------------------------------------------
  function renderCars() {
    if (!state) return;
    var body = $('cars');
    $('car-count').textContent = state.cars.length;
    $('cars-empty').hidden = state.cars.length > 0;
    var rows = state.cars.map(function (c) {
      var typ = c.monthlyUntil ? '<span class="pill monthly">月租 至 ' + esc(c.monthlyUntil.slice(5)) + '</span>' : c.unlicensed ? '<span class="pill">无牌</span>' : '<span class="pill temp">' + esc(c.carType) + '</span>';
      var status = c.waitingAt
        ? '<span class="status wait">在出口等待</span>'
        : c.inPaidFreeTime
          ? '<span class="status ok">已付 · ' + esc(c.paidFreeUntil.slice(11, 16)) + ' 前离场</span>'
          : c.owed !== '0.00'
            ? '<span class="status owe">欠费</span>'
            : '<span class="status">免费时段</span>';
      var owed = '<b class="' + (c.owed !== '0.00' ? 'owe' : '') + '">¥' + esc(c.owed) + '</b> <span class="muted">/ ¥' + esc(c.paid) + '</span>';
      var monthly = !c.unlicensed && !c.monthlyUntil ? '<button class="link" data-car-act="monthly" title="岗亭录入 30 天月租（白名单）">月租</button>' : '';
      return (
        '<tr data-order="' + esc(c.orderId) + '" class="' + (picked === c.orderId ? 'picked' : '') + '">' +
        '<td><span class="plate">' + esc(c.plate || '无牌') + '</span></td><td>' + typ + '</td><td>' + esc(c.areaName) + '</td>' +
        '<td class="mono">' + esc(c.inTime.slice(5, 16)) + '</td><td>' + shortMinutes(c.minutes) + '</td><td>' + owed + '</td><td>' + status + '</td>' +
        '<td class="acts"><button class="small primary" data-car-act="leave" title="开到出口">驶出</button><button class="small" data-car-act="phone" title="司机手机打开这辆车的缴费页">手机</button>' + monthly + '</td></tr>'
      );
    });
    var html = rows.join('');
    if (body._html !== html) {
      body.innerHTML = html;
      body._html = html;
    }
    $('departed').innerHTML = state.departed
      .map(function (d) {
        return '<li><span class="plate small">' + esc(d.plate || '无牌') + '</span> ' + esc(d.outTime.slice(11, 19)) + ' ' + esc(d.outChannel) + ' · ' + esc(d.how) + (d.paid !== '0.00' ? ' · 付 ¥' + esc(d.paid) : '') + '</li>';
      })
      .join('') || '<li class="muted">还没有车辆出场</li>';
  }
  $('cars').addEventListener('click', function (ev) {
    var tr = ev.target.closest('tr[data-order]');
    if (!tr) return;
    var car = findCar(tr.getAttribute('data-order'));
    if (!car) return;
    var b = ev.target.closest('[data-car-act]');
    var act = b && b.getAttribute('data-car-act');
    if (act === 'leave') return depart(car.orderId, car.exitLane);
    if (act === 'monthly') {
      return api('POST', '/monthly', { plate: car.plate, days: 30 })
        .then(function (r) { toast(car.plate + ' 已办月租，至 ' + r.until + '（岗亭录入，车场同步给 ParkPay）', 'ok'); poll(); })
        .catch(function (e) { toast(e.message, 'bad'); });
    }
    followCar(car);
  });

  function renderAreas() {
    $('free-total').textContent = '空 ' + state.free + ' / ' + state.spaces;
    $('areas').innerHTML = state.areas
      .map(function (a) {
        var used = a.spaces - a.free;
        var pct = a.spaces ? Math.round((used / a.spaces) * 100) : 0;
        return '<div class="area-row"><div class="area-name">' + esc(a.name) + '<span><b>' + a.free + '</b> 空 / ' + a.spaces + '</span></div><div class="bar"><span style="width:' + Math.max(pct, used ? 2 : 0) + '%"></span></div></div>';
      })
      .join('');
  }

  function renderFaults() {
    document.querySelectorAll('[data-fault]').forEach(function (label) {
      var k = label.getAttribute('data-fault');
      var on = !!state.faults[k];
      var input = label.querySelector('input');
      if (input.checked !== on && !label._pending) input.checked = on;
      label.classList.toggle('on', on);
    });
    var lotState = $('lot-state');
    var f = state.faults;
    lotState.textContent = f.offline ? '车场离线' : f.slow ? '车场响应慢' : f.busy ? '车场繁忙' : '车场在线';
    lotState.className = 'lot-state' + (f.offline ? ' offline' : f.slow || f.busy ? ' slow' : '');
    document.querySelectorAll('[data-provider]').forEach(function (b) {
      b.classList.toggle('active', state.settings.laneQrProvider === b.getAttribute('data-provider'));
    });
  }
  document.querySelectorAll('[data-fault]').forEach(function (label) {
    var input = label.querySelector('input');
    input.addEventListener('change', function () {
      var body = {};
      body[label.getAttribute('data-fault')] = input.checked;
      label._pending = true;
      api('POST', '/faults', body)
        .then(function () { poll(); })
        .catch(function (e) { toast(e.message, 'bad'); })
        .then(function () { label._pending = false; });
    });
  });
  document.querySelectorAll('[data-provider]').forEach(function (b) {
    b.addEventListener('click', function () {
      api('POST', '/settings', { laneQrProvider: b.getAttribute('data-provider') })
        .then(function (r) { toast('车道屏收款码：' + (r.laneQrProvider === 'wechat' ? '微信支付' : '支付宝') + '（已在 ParkPay 的车场设置中保存）', 'ok'); poll(); })
        .catch(function (e) { toast(e.message, 'bad'); });
    });
  });

  var OUTCOME = { success: ['success', 'ok'], fail: ['fail', 'warn'], self: ['self', 'info'], error: ['无应答', 'bad'], fault: ['注入故障', 'fault'] };
  function addLog(calls, fresh) {
    if (!calls.length) return;
    var body = $('log');
    var frag = document.createDocumentFragment();
    calls.forEach(function (c) {
      var o = OUTCOME[c.outcome] || [c.outcome, ''];
      var tr = el(
        'tr',
        (fresh ? 'fresh ' : '') + c.direction,
        '<td class="mono">' + esc(new Date(c.at + 8 * 3600000).toISOString().slice(11, 19)) + '</td>' +
          '<td class="dir">' + (c.direction === 'up' ? '车场 <i>→</i> ParkPay' : 'ParkPay <i>→</i> 车场') + '</td>' +
          '<td><span class="sec">' + esc(c.section) + '</span> ' + esc(c.title) + ' <span class="muted mono">' + esc(c.name) + '</span></td>' +
          '<td><span class="badge ' + o[1] + '">' + o[0] + (c.httpStatus && c.httpStatus !== 200 ? ' ' + c.httpStatus : '') + '</span></td>' +
          '<td class="num mono">' + c.ms + ' ms</td><td class="detail">' + esc(c.detail || '') + '</td>',
      );
      frag.insertBefore(tr, frag.firstChild);
    });
    body.insertBefore(frag, body.firstChild);
    logRows += calls.length;
    while (body.rows.length > 300) body.deleteRow(body.rows.length - 1);
    $('log-count').textContent = logRows;
    setTimeout(function () {
      body.querySelectorAll('tr.fresh').forEach(function (tr) { tr.classList.remove('fresh'); });
    }, 1200);
  }

  function renderClock() {
    var t = state.clock.text;
    $('clock-date').textContent = t.slice(0, 10);
    $('clock-time').textContent = t.slice(11);
    $('phone-time').textContent = t.slice(11, 16);
    $('clock-offset').textContent = offsetText(state.clock.offsetMs);
  }
  document.querySelectorAll('[data-advance]').forEach(function (b) {
    b.addEventListener('click', function () {
      if (busy) return;
      busy = true;
      b.disabled = true;
      api('POST', '/clock', { advanceMinutes: Number(b.getAttribute('data-advance')) })
        .then(function () { toast('时钟拨快 ' + b.textContent.replace('+', ''), 'ok'); poll(); })
        .catch(function (e) { toast(e.message, 'bad'); })
        .then(function () { busy = false; b.disabled = false; });
    });
  });

  function renderBuildState() {
    var s = state.driverApp && state.driverApp.state;
    document.body.classList.toggle('app-building', s === 'building');
  }

  // ---- the loop ----------------------------------------------------------------------------------------
  var polling = false;
  var again = false;
  function poll() {
    if (polling) {
      again = true;
      return;
    }
    polling = true;
    fetch('/demo/api/state?calls=' + cursor.calls + '&gates=' + cursor.gates, { cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (s) {
        var first = !state;
        state = s;
        cursor = s.cursor;
        document.body.classList.remove('disconnected');
        if (first) {
          $('park-name').textContent = s.park.name + ' · ' + s.park.parkNumber;
          $('link-console').href = '/#/packages/op/login/index';
          $('link-bluecard').href = s.sandboxes.bluecard + '/sandbox/parks/' + s.park.parkNumber;
          $('link-wechatpay').href = s.sandboxes.wechatPay + '/__sandbox/state';
          $('link-alipay').href = s.sandboxes.alipay + '/__sandbox/trades';
          if (phone.getAttribute('src') === 'about:blank') showInPhone(PHONE_PAGES.home[0], PHONE_PAGES.home[1]);
        }
        renderClock();
        renderLanes();
        s.gates.forEach(function (g) { if (!first) animateGate(g); });
        renderCars();
        renderAreas();
        renderFaults();
        renderBuildState();
        addLog(s.calls, !first);
      })
      .catch(function () {
        document.body.classList.add('disconnected');
      })
      .then(function () {
        polling = false;
        if (again) {
          again = false;
          poll();
        }
      });
  }
  poll();
  setInterval(poll, POLL_MS);
})();
