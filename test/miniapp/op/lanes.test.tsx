import { act, render, screen, waitFor, within } from '@testing-library/react';
import { LiftPanel } from '../../../miniapp/src/packages/op/lanes/LiftPanel';
import OpLanesPage from '../../../miniapp/src/packages/op/lanes/index';
import { browserFiles } from '../../../miniapp/src/packages/op/services/files';
import { fakeApi } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';
import { OP_TOKEN, PNG, fileApis, lane, opLoggedIn } from './support';
import { see, tap, type } from '../support/ui';

const saved: { name: string; mime: string; bytes: number[] }[] = [];
beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  Taro.useRouter.mockImplementation(() => ({ params: { park: 'p_demo_001' } }));
  opLoggedIn('operator');
  saved.length = 0;
  jest.spyOn(browserFiles, 'save').mockImplementation((bytes, name, mime) => void saved.push({ name, mime, bytes: Array.from(new Uint8Array(bytes)) }));
  fileApis.downloadFile.mockReset();
  fileApis.openDocument.mockClear();
});
afterEach(() => {
  delete (globalThis as { API_BASE?: string }).API_BASE;
});

const card = (id: string) => document.getElementById(`lane-${id}`)!;
const disabled = (el: Element) => Boolean((el as Element & { disabled?: unknown }).disabled);

const LANES = { data: { lanes: [lane('1', { name: '东门入口', lotName: '东门入口' }), lane('2', { name: '东门出口', lotName: '东门出口', direction: 'out' })] } };

describe('lanes', () => {
  it('lists the lanes, each with its QR code fetched with the operator token and shown as an image', async () => {
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/lanes': LANES,
      'GET /api/op/parks/p_demo_001/lanes/1/qr.png': { data: PNG },
      'GET /api/op/parks/p_demo_001/lanes/2/qr.png': { data: PNG },
    });
    render(<OpLanesPage />);
    await see('东门入口');
    expect(within(card('1')).getByText('入口')).toBeTruthy();
    expect(within(card('2')).getByText('出口')).toBeTruthy();
    expect(within(card('1')).getByText('https://parkpay.example.com/q/p_demo_001/1')).toBeTruthy();
    await waitFor(() => expect(card('1').querySelector('taro-image-core.op-qr')).toBeTruthy());
    const img = card('1').querySelector('taro-image-core.op-qr')!;
    expect(img.getAttribute('src')).toBe(`data:image/png;base64,${Buffer.from(new Uint8Array(PNG)).toString('base64')}`);
    const qr = api.calls('GET /api/op/parks/p_demo_001/lanes/1/qr.png')[0]!;
    expect(qr.header.authorization).toBe(`Bearer ${OP_TOKEN}`);
    expect(qr.url).toMatch(/qr\.png\?size=256$/);
    expect(api.calls('GET /api/op/parks/p_demo_001/lanes')[0]!.header.authorization).toBe(`Bearer ${OP_TOKEN}`);
  });

  it('a QR code that fails to load says so, the page stays', async () => {
    fakeApi({
      'GET /api/op/parks/p_demo_001/lanes': { data: { lanes: [lane('1')] } },
      'GET /api/op/parks/p_demo_001/lanes/1/qr.png': { status: 404, data: new TextEncoder().encode('{"error":{"code":"lane_unknown","message":"no such lane"}}').buffer },
    });
    render(<OpLanesPage />);
    await see(/二维码加载失败/);
    expect(screen.getByText('车道1')).toBeTruthy();
  });

  it('poster PDF: H5 saves the file fetched with the token; a mini-program downloads it with the header and opens it', async () => {
    const pdf = new TextEncoder().encode('%PDF-1.7 poster').buffer;
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/lanes': { data: { lanes: [lane('1', { name: '东门入口' })] } },
      'GET /api/op/parks/p_demo_001/lanes/1/qr.png': { data: PNG },
      'GET /api/op/parks/p_demo_001/lanes/1/poster.pdf': { data: pdf },
    });
    render(<OpLanesPage />);
    await see('东门入口');
    await tap(within(card('1')).getByText('海报 PDF'));
    expect(api.calls('GET /api/op/parks/p_demo_001/lanes/1/poster.pdf')[0]!.header.authorization).toBe(`Bearer ${OP_TOKEN}`);
    expect(saved).toEqual([{ name: 'p_demo_001-东门入口.pdf', mime: 'application/pdf', bytes: Array.from(new Uint8Array(pdf)) }]);

    process.env.TARO_ENV = 'weapp';
    (globalThis as { API_BASE?: string }).API_BASE = 'https://parkpay.example.com';
    fileApis.downloadFile.mockResolvedValue({ statusCode: 200, tempFilePath: 'wxfile://tmp/poster.pdf' });
    await tap(within(card('1')).getByText('海报 PDF'));
    expect(fileApis.downloadFile).toHaveBeenCalledWith({ url: 'https://parkpay.example.com/api/op/parks/p_demo_001/lanes/1/poster.pdf', header: { authorization: `Bearer ${OP_TOKEN}` } });
    expect(fileApis.openDocument).toHaveBeenCalledWith(expect.objectContaining({ filePath: 'wxfile://tmp/poster.pdf', fileType: 'pdf' }));

    fileApis.downloadFile.mockResolvedValue({ statusCode: 503, tempFilePath: 'wxfile://tmp/x' });
    await tap(within(card('1')).getByText('海报 PDF'));
    await see(/HTTP 503/);
  });

  it('edit a lane: our name, direction and note; empty fields clear ours', async () => {
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/lanes': { data: { lanes: [lane('3', { name: '西门入口', lotName: '西门入口' })] } },
      'GET /api/op/parks/p_demo_001/lanes/3/qr.png': { data: PNG },
      'POST /api/op/parks/p_demo_001/lanes/3': [
        { data: lane('3', { name: '西门（访客）', lotName: '西门入口', direction: 'in', directionFrom: 'label', note: '夜间关闭' }) },
        { data: lane('3', { name: '西门入口', lotName: '西门入口' }) },
      ],
    });
    render(<OpLanesPage />);
    await see('西门入口');
    await tap(within(card('3')).getByText('编辑'));
    await type(card('3').querySelector('.op-lane-name')!, '西门（访客）');
    await tap(within(card('3')).getByText('入口', { selector: '.op-choice' }));
    await type(card('3').querySelector('.op-lane-note')!, '夜间关闭');
    await tap(within(card('3')).getByText('保存'));
    expect(api.calls('POST /api/op/parks/p_demo_001/lanes/3')[0]!.body).toEqual({ name: '西门（访客）', direction: 'in', note: '夜间关闭' });
    await see('西门（访客）');
    expect(within(card('3')).getByText('备注：夜间关闭')).toBeTruthy();
    expect(within(card('3')).getByText('已保存')).toBeTruthy();

    await tap(within(card('3')).getByText('编辑'));
    await type(card('3').querySelector('.op-lane-name')!, '');
    await tap(within(card('3')).getByText('按区域自动判断'));
    await type(card('3').querySelector('.op-lane-note')!, ' ');
    await tap(within(card('3')).getByText('保存'));
    expect(api.calls('POST /api/op/parks/p_demo_001/lanes/3')[1]!.body).toEqual({ name: null, direction: null, note: null });
  });

  it('merchants see lanes without the barrier lift', async () => {
    opLoggedIn('merchant');
    fakeApi({ 'GET /api/op/parks/p_demo_001/lanes': LANES, 'GET /api/op/parks/p_demo_001/lanes/1/qr.png': { data: PNG }, 'GET /api/op/parks/p_demo_001/lanes/2/qr.png': { data: PNG } });
    render(<OpLanesPage />);
    await see('东门入口');
    expect(screen.queryByText('远程抬杆')).toBeNull();
  });
});

describe('barrier lift', () => {
  const expiresIn = (ms: number) => new Date(Date.now() + ms).toISOString();
  const request = (id = 'cf_1', ms = 30_000) => ({
    data: { confirmationId: id, expiresAt: expiresIn(ms), lane: { passagewayId: '2', name: '东门出口', direction: 'out' }, prompt: '确认立即抬起「出口 东门出口」的道闸？请确认现场安全。' },
  });

  it('two steps: a reason, then the server’s confirmation shown with its time left; confirm lifts once', async () => {
    const api = fakeApi({
      'POST /api/op/parks/p_demo_001/lanes/2/lift-requests': request(),
      'POST /api/op/parks/p_demo_001/lanes/2/lift': { data: { lifted: true, at: '2026-11-28T02:03:04.000Z', lane: { passagewayId: '2', name: '东门出口', direction: 'out' } } },
    });
    const { container } = render(<LiftPanel parkNumber="p_demo_001" passagewayId="2" />);
    await tap(screen.getByText('远程抬杆'));
    expect(disabled(container.querySelector('.op-lift-next')!)).toBe(true);
    await type(container.querySelector('.op-lift-reason')!, '设');
    expect(disabled(container.querySelector('.op-lift-next')!)).toBe(true); // a reason is 2 characters at least
    await type(container.querySelector('.op-lift-reason')!, '设备故障，现场收现');
    expect(disabled(container.querySelector('.op-lift-next')!)).toBe(false);
    expect(api.calls('POST /api/op/parks/p_demo_001/lanes/2/lift')).toHaveLength(0);
    await tap(screen.getByText('下一步'));
    expect(api.calls('POST /api/op/parks/p_demo_001/lanes/2/lift-requests')[0]!.body).toEqual({ reason: '设备故障，现场收现' });
    await see('确认立即抬起「出口 东门出口」的道闸？请确认现场安全。');
    expect(screen.getByText(/^(30|29) 秒内有效/)).toBeTruthy();
    expect(api.calls('POST /api/op/parks/p_demo_001/lanes/2/lift')).toHaveLength(0); // nothing opens before the confirmation
    await tap(screen.getByText('确认抬杆'));
    const lifts = api.calls('POST /api/op/parks/p_demo_001/lanes/2/lift');
    expect(lifts).toHaveLength(1);
    expect(lifts[0]!.body).toEqual({ confirmationId: 'cf_1' });
    expect(lifts[0]!.header.authorization).toBe(`Bearer ${OP_TOKEN}`);
    await see('道闸已抬起（10:03:04）');
  });

  it('cancel at the confirmation: nothing is lifted', async () => {
    const api = fakeApi({ 'POST /api/op/parks/p_demo_001/lanes/2/lift-requests': request() });
    const { container } = render(<LiftPanel parkNumber="p_demo_001" passagewayId="2" />);
    await tap(screen.getByText('远程抬杆'));
    await type(container.querySelector('.op-lift-reason')!, '测试');
    await tap(screen.getByText('下一步'));
    await see(/确认立即抬起/);
    await tap(screen.getByText('取消'));
    expect(screen.getByText('远程抬杆')).toBeTruthy();
    expect(api.sent.filter((s) => s.url.endsWith('/lift'))).toHaveLength(0);
  });

  it('a confirmation that ran out is not sent: the operator starts again', async () => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
    try {
      let now = Date.now();
      const api = fakeApi({ 'POST /api/op/parks/p_demo_001/lanes/2/lift-requests': request('cf_2', 30_000) });
      const { container } = render(<LiftPanel parkNumber="p_demo_001" passagewayId="2" now={() => now} />);
      await tap(screen.getByText('远程抬杆'));
      await type(container.querySelector('.op-lift-reason')!, '测试超时');
      await tap(screen.getByText('下一步'));
      await act(async () => undefined);
      expect(screen.getByText(/确认立即抬起/)).toBeTruthy();
      now += 31_000;
      await act(async () => {
        jest.advanceTimersByTime(600);
      });
      expect(screen.getByText('确认已超时，道闸没有抬起')).toBeTruthy();
      expect(screen.queryByText('确认抬杆')).toBeNull();
      expect(api.sent.filter((s) => s.url.endsWith('/lift'))).toHaveLength(0);
      expect(screen.getByText('重新发起抬杆')).toBeTruthy();
    } finally {
      jest.useRealTimers();
    }
  });

  it('the server refuses a spent or late confirmation, or the lot does not answer: said plainly', async () => {
    fakeApi({
      'POST /api/op/parks/p_demo_001/lanes/2/lift-requests': request(),
      'POST /api/op/parks/p_demo_001/lanes/2/lift': [
        { status: 410, data: { error: { code: 'confirmation_expired', message: 'expired' } } },
        { status: 504, data: { error: { code: 'lot_unreachable', message: 'the lot did not answer in 5 s', details: { outcomeUnknown: true } } } },
      ],
    });
    const { container } = render(<LiftPanel parkNumber="p_demo_001" passagewayId="2" />);
    await tap(screen.getByText('远程抬杆'));
    await type(container.querySelector('.op-lift-reason')!, '测试');
    await tap(screen.getByText('下一步'));
    await tap(await see('确认抬杆'));
    await see('确认已超时');
    await tap(screen.getByText('重新发起抬杆'));
    await tap(screen.getByText('下一步')); // the reason is kept
    await tap(await see('确认抬杆'));
    await see('车场系统暂时连不上');
    expect(screen.getByText(/道闸可能已抬起也可能没有/)).toBeTruthy();
  });
});
