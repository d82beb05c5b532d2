/** /api/op/parks/:parkNumber/lists*, …/list-jobs*, …/lot-lists (contracts: shared/api/op-lists.ts). */
import type Router from '@koa/router';
import { opListEndpoints as ep, type ListEntryView, type ListJobView } from '../../../../shared/api/op-lists';
import type { ImportJob, ListEntry } from '../../core/lists/model';
import { progressOf, type ListsService } from '../../core/lists/service';
import { auditFacts, mount } from './mount';

const iso = (d: Date | undefined | null) => (d ? new Date(d).toISOString() : null);

export function listEntryView(e: ListEntry): ListEntryView {
  return {
    plate: e.plate,
    memo: e.memo,
    white: e.white ?? null,
    sync: { state: e.sync.state, error: e.sync.error ?? null, at: new Date(e.sync.at).toISOString() },
    origin: e.origin,
    importId: e.importId ?? null,
    updatedBy: e.updatedBy,
    createdAt: new Date(e.createdAt).toISOString(),
    updatedAt: new Date(e.updatedAt).toISOString(),
  };
}

export function listJobView(j: ImportJob, rows: 'all' | 'problems' | 'none' = 'none'): ListJobView {
  const view: ListJobView = {
    id: j.id,
    parkNumber: j.parkNumber,
    list: j.list,
    kind: j.kind,
    status: j.status,
    error: j.error ?? null,
    progress: progressOf(j),
    chunks: j.chunks,
    chunksDone: j.chunksDone,
    createdBy: j.createdBy,
    createdAt: j.createdAt.toISOString(),
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
  };
  if (rows !== 'none') {
    view.rows = j.rows
      .filter((r) => rows === 'all' || (r.status !== 'synced' && r.status !== 'queued'))
      .map((r) => ({ line: r.line, plate: r.plate, status: r.status, error: r.error ?? null }));
  }
  return view;
}

/** An import's CSV is larger than the app API's 64 KB: 2,000 rows of a dozen fields. */
const IMPORT_BODY_LIMIT = '512kb';

export function mountOpListRoutes(router: Router, lists: ListsService): void {
  mount(router, ep.page, async ({ params, query, operator }) => {
    const r = await lists.page(operator, params.parkNumber, params.list, query);
    return { entries: r.entries.map(listEntryView), total: r.total };
  });

  mount(router, ep.upsert, async ({ params, body, operator, ctx }) => {
    auditFacts(ctx, ep.upsert, { plate: body.plate });
    const e = await lists.upsert(operator, params.parkNumber, params.list, body);
    auditFacts(ctx, ep.upsert, { plate: e.plate, created: e.createdAt.getTime() === e.updatedAt.getTime(), syncState: e.sync.state, syncError: e.sync.error ?? null });
    return listEntryView(e);
  });

  mount(router, ep.remove, async ({ params, operator }) => {
    return lists.remove(operator, params.parkNumber, params.list, params.plate);
  });

  mount(router, ep.requestClear, async ({ params, operator, ctx }) => {
    const r = await lists.requestClear(operator, params.parkNumber, params.list);
    auditFacts(ctx, ep.requestClear, { count: r.count });
    return { ...r, expiresAt: r.expiresAt.toISOString() };
  });

  mount(router, ep.confirmClear, async ({ params, body, operator, ctx }) => {
    const r = await lists.confirmClear(operator, params.parkNumber, params.list, body.confirmation);
    auditFacts(ctx, ep.confirmClear, { removed: r.removed });
    return r;
  });

  mount(
    router,
    ep.startImport,
    async ({ params, body, operator, ctx }) => {
      const job = await lists.startImport(operator, params.parkNumber, params.list, body.csv);
      auditFacts(ctx, ep.startImport, { jobId: job.id, rows: job.rows.length, invalid: job.rows.filter((r) => r.status === 'invalid').length });
      return listJobView(job, 'problems');
    },
    { bodyLimit: IMPORT_BODY_LIMIT },
  );

  mount(router, ep.resync, async ({ params, operator, ctx }) => {
    const job = await lists.startResync(operator, params.parkNumber, params.list);
    auditFacts(ctx, ep.resync, { jobId: job.id, rows: job.rows.length });
    return listJobView(job);
  });

  mount(router, ep.jobs, async ({ params, query, operator }) => ({
    jobs: (await lists.jobs(operator, params.parkNumber, query.limit)).map((j) => listJobView(j)),
  }));

  mount(router, ep.job, async ({ params, query, operator }) => listJobView(await lists.job(operator, params.parkNumber, params.jobId), query.rows ?? 'all'));

  mount(router, ep.atLot, async ({ params, query, operator }) => {
    const rows = await lists.queryLot(operator, params.parkNumber, params.list, query.plates.split(/[,，\s]+/));
    return { entries: rows.map((r) => ({ plate: r.plate, memo: r.memo, white: r.white ?? null })) };
  });

  mount(router, ep.lotLists, async ({ params, query, operator }) => {
    const side = await lists.lotSide(operator, params.parkNumber, query.renewals ?? 100);
    return {
      whitelist: side.whitelist.map((w) => ({
        plate: w.plate,
        fixedId: w.fixedId ?? null,
        source: w.source,
        changedAt: w.changedAt ? new Date(w.changedAt).toISOString() : null,
        record: w.record,
      })),
      renewals: side.renewals.map((r) => ({
        plates: r.plates,
        payTime: iso(r.payTime),
        payChargeFen: r.payChargeFen,
        feeMonths: r.feeMonths,
        end: iso(r.end),
        record: r.record,
      })),
    };
  });
}
