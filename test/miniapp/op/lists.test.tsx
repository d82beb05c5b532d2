import { act, render, screen, within } from '@testing-library/react';
import { ApiError } from '../../../miniapp/src/services/api';
import { browserPicker, decodeCsv } from '../../../miniapp/src/packages/op/lists/csvFile';
import { followJob, progressOf } from '../../../miniapp/src/packages/op/lists/importJob';
import OpListsPage from '../../../miniapp/src/packages/op/lists/index';
import { fakeApi } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';
import { opLoggedIn } from './support';
import { see, tap, type } from '../support/ui';

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  Taro.useRouter.mockImplementation(() => ({ params: { park: 'p_demo_001' } }));
  opLoggedIn('operator');
});
afterEach(() => jest.useRealTimers());

const $ = (sel: string) => document.querySelector<HTMLElement>(sel)!;

const at = '2026-11-28T02:00:00.000Z';
function entry(plate: string, over: Record<string, unknown> = {}) {
  return { plate, memo: '', white: null, sync: { state: 'synced', error: null, at }, origin: 'manual', importId: null, updatedBy: 'demo-admin', createdAt: at, updatedAt: at, ...over };
}
const white = (start: string, end: string, name = '') => ({ start, end, chargeType: '不收费', name, certificate: '', address: '', phone: '', plateColor: '', dept: '', carType: '月租车', areas: [] });
function job(status: 'queued' | 'running' | 'done' | 'failed', p: Partial<Record<'total' | 'queued' | 'synced' | 'refused' | 'failed' | 'invalid' | 'duplicate' | 'etaSeconds', number>>, over: Record<string, unknown> = {}) {
  return {
    id: 'job_1', parkNumber: 'p_demo_001', list: 'black', kind: 'import', status, error: null,
    progress: { total: 0, queued: 0, synced: 0, refused: 0, failed: 0, invalid: 0, duplicate: 0, etaSeconds: 0, ...p },
    chunks: 3, chunksDone: 0, createdBy: 'demo-admin', createdAt: at, startedAt: null, finishedAt: null, ...over,
  };
}

describe('following an import', () => {
  it('progress counts every row dealt with', () => {
    expect(progressOf(job('running', { total: 120, queued: 70, synced: 45, invalid: 5 }))).toEqual({ done: 50, total: 120, percent: 42, etaSeconds: 0 });
    expect(progressOf(job('done', { total: 0 }))).toMatchObject({ percent: 100 });
  });

  it('polls until done (a lost poll is tried again), then fetches the problem rows', async () => {
    const answers = [job('running', { total: 3, queued: 1, synced: 2 }), new ApiError('network', 'x'), job('done', { total: 3, synced: 2, refused: 1 })];
    const getJob = jest.fn(async (_id: string, rows: string) => {
      if (rows === 'problems') return { ...job('done', { total: 3, synced: 2, refused: 1 }), rows: [{ line: 3, plate: '京C3', status: 'refused', error: '重复车牌' }] };
      const a = answers.shift()!;
      if (a instanceof Error) throw a;
      return a;
    });
    const seen: string[] = [];
    const end = await followJob(job('queued', { total: 3, queued: 3 }) as never, { getJob: getJob as never, sleep: async () => undefined }, (j) => seen.push(`${j.status}:${progressOf(j).done}`));
    expect(seen).toEqual(['queued:0', 'running:2', 'done:3', 'done:3']);
    expect(end!.rows).toHaveLength(1);
    expect(getJob.mock.calls.map((c) => c[1])).toEqual(['none', 'none', 'none', 'problems']);
  });

  it('a job the server does not know ends the following with its error', async () => {
    const getJob = jest.fn(async () => {
      throw new ApiError('not_found', 'no such job', 404);
    });
    await expect(followJob(job('running', { total: 1, queued: 1 }) as never, { getJob, sleep: async () => undefined }, () => undefined)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('CSV bytes: UTF-8 (BOM dropped) or GBK from a spreadsheet', () => {
    expect(decodeCsv(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('车牌\n京A1')]))).toBe('车牌\n京A1');
    // "车牌" in GBK: b3 b5 c5 c6
    expect(decodeCsv(new Uint8Array([0xb3, 0xb5, 0xc5, 0xc6]))).toBe('车牌');
  });
});

describe('the lists page', () => {
  it('whitelist: lists entries with their sync state; adds one with the 4.6 fields', async () => {
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/lists/white': { data: { entries: [entry('京A11111', { white: white('2026-01-01', '2026-12-31', '张三') }), entry('京A22222', { white: white('2026-01-01', '2026-12-31'), sync: { state: 'refused', error: '车位已满', at } })], total: 2 } },
      'GET /api/op/parks/p_demo_001/list-jobs': { data: { jobs: [] } },
      'POST /api/op/parks/p_demo_001/lists/white': { data: entry('京B33333', { white: white('2026-11-28', '2027-11-28', '李四') }) },
    });
    render(<OpListsPage />);
    await see('京A11111');
    expect(within($('#entry-京A22222')).getByText('车场拒绝：车位已满')).toBeTruthy();
    expect(within($('#entry-京A11111')).getByText('2026-01-01 至 2026-12-31')).toBeTruthy();
    expect(within($('#entry-京A11111')).getByText('张三')).toBeTruthy();
    await tap($('.op-entry-add'));
    await type($('.op-entry-plate'), '京B33333');
    await type($('.op-entry-start'), '2026-11-28');
    await type($('.op-entry-end'), '2027-11-28');
    await type($('.op-entry-name'), '李四');
    await tap($('.op-entry-save'));
    expect(api.calls('POST /api/op/parks/p_demo_001/lists/white')[0]!.body).toEqual({ plate: '京B33333', memo: '', start: '2026-11-28', end: '2027-11-28', name: '李四', phone: '' });
    await see('京B33333：车场已同步');
  });

  it('blacklist: delete one after a confirmation; delete all in two steps with the server’s count and warning', async () => {
    Taro.useRouter.mockImplementation(() => ({ params: { park: 'p_demo_001', list: 'black' } }));
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/lists/black': [{ data: { entries: [entry('京B66666', { memo: '欠费' }), entry('京B77777')], total: 2 } }, { data: { entries: [entry('京B77777')], total: 1 } }, { data: { entries: [], total: 0 } }],
      'GET /api/op/parks/p_demo_001/list-jobs': { data: { jobs: [] } },
      'DELETE /api/op/parks/p_demo_001/lists/black/京B66666': { data: { removed: true } },
      'POST /api/op/parks/p_demo_001/lists/black/clear': { data: { confirmation: 'clr_1', count: 1, expiresAt: at, warning: '车场的黑名单将被全部清空，包括其他系统下发的记录' } },
      'POST /api/op/parks/p_demo_001/lists/black/clear/confirm': { data: { removed: 1 } },
    });
    render(<OpListsPage />);
    await see('京B66666');
    await tap(within($('#entry-京B66666')).getByText('删除'));
    expect(api.sent.filter((s) => s.method === 'DELETE')).toHaveLength(0); // not before the confirmation
    await tap(within($('#entry-京B66666 .op-confirm')).getByText('删除'));
    expect(api.calls('DELETE /api/op/parks/p_demo_001/lists/black/京B66666')).toHaveLength(1);
    await see('黑名单共 1 条');

    await tap($('.op-clear-start'));
    await see('删除黑名单的全部 1 条？');
    expect(screen.getByText('车场的黑名单将被全部清空，包括其他系统下发的记录')).toBeTruthy();
    expect(api.calls('POST /api/op/parks/p_demo_001/lists/black/clear/confirm')).toHaveLength(0);
    await tap(screen.getByText('全部删除'));
    expect(api.calls('POST /api/op/parks/p_demo_001/lists/black/clear/confirm')[0]!.body).toEqual({ confirmation: 'clr_1' });
    await see('已删除 1 条');
  });

  it('imports a CSV picked in the browser, following the job’s progress to the end with the problem rows', async () => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
    Taro.useRouter.mockImplementation(() => ({ params: { park: 'p_demo_001', list: 'black' } }));
    const csv = 'plate,memo\n京B1,欠费\n京B2,欠费\nbad,x\n';
    jest.spyOn(browserPicker, 'pick').mockResolvedValue({ name: 'black.csv', arrayBuffer: async () => new Uint8Array(Buffer.from(csv)).buffer } as unknown as File);
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/lists/black': { data: { entries: [], total: 0 } },
      'GET /api/op/parks/p_demo_001/list-jobs': { data: { jobs: [] } },
      'POST /api/op/parks/p_demo_001/lists/black/imports': { data: job('queued', { total: 3, queued: 2, invalid: 1, etaSeconds: 5 }) },
      'GET /api/op/parks/p_demo_001/list-jobs/job_1': (s) =>
        /rows=problems/.test(s.url)
          ? { data: { ...job('done', { total: 3, synced: 2, invalid: 1 }), rows: [{ line: 4, plate: 'bad', status: 'invalid', error: '车牌格式不对' }] } }
          : api.calls('GET /api/op/parks/p_demo_001/list-jobs/job_1').length < 2
            ? { data: job('running', { total: 3, queued: 1, synced: 1, invalid: 1, etaSeconds: 5 }) }
            : { data: job('done', { total: 3, synced: 2, invalid: 1 }) },
    });
    render(<OpListsPage />);
    await see('黑名单共 0 条');
    await tap(screen.getByText('选择 CSV 文件'));
    await see('black.csv');
    expect(($('.op-import-csv') as HTMLElement & { value?: string }).getAttribute('value')).toBe(csv);
    await tap($('.op-import-start'));
    expect(api.calls('POST /api/op/parks/p_demo_001/lists/black/imports')[0]!.body).toEqual({ csv });
    await see('导入排队中：1 / 3，约剩 5 秒');
    await act(async () => {
      jest.advanceTimersByTime(1500);
    });
    await see('导入进行中：2 / 3，约剩 5 秒');
    expect($('.op-progress-bar').getAttribute('style')).toMatch(/width: 67%/);
    await act(async () => {
      jest.advanceTimersByTime(1500);
    });
    await see('导入完成：3 / 3');
    await see('车牌格式不对');
    expect(screen.getByText(/已同步 2 · 车场拒绝 0 · 未确认 0 · 格式错误 1 · 重复 0/)).toBeTruthy();
    expect(api.calls('GET /api/op/parks/p_demo_001/lists/black').length).toBeGreaterThanOrEqual(2); // the list again after the import
  });

  it('an import still running when the page opens is followed', async () => {
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/lists/white': { data: { entries: [], total: 0 } },
      'GET /api/op/parks/p_demo_001/list-jobs': { data: { jobs: [job('running', { total: 500, queued: 400, synced: 100, etaSeconds: 40 }, { list: 'white', id: 'job_9' })] } },
      'GET /api/op/parks/p_demo_001/list-jobs/job_9': { data: job('running', { total: 500, queued: 400, synced: 100, etaSeconds: 40 }, { list: 'white', id: 'job_9' }) },
    });
    render(<OpListsPage />);
    await see('导入进行中：100 / 500，约剩 40 秒');
    expect(api.calls('GET /api/op/parks/p_demo_001/list-jobs')).toHaveLength(1);
  });
});
