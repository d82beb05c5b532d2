/**
 * What operators and the load balancer need to know of the system, read from the database so that every
 * instance tells the same truth: the delivery queue (paid orders the lot has not acknowledged), the leases
 * on it, refunds under way, and each park's last heartbeat. Implemented in repository/operations.ts; read by
 * /readyz and by the metrics scrape.
 */
export interface DeliveryBacklog {
  /** Paid orders whose delivery to the lot is still pending. */
  undelivered: number;
  /** When the oldest of them was paid (undefined: none). */
  oldestPaidAt?: Date;
  /** Of them, those whose next attempt was due more than a minute ago: nobody is working on them. */
  overdue: number;
  /** Leases held now: by this process's worker, and by others (another instance). */
  leasedByUs: number;
  leasedByOthers: number;
  /** Leases that ran out with the delivery still pending: a process died holding them (another takes them). */
  lapsed: number;
}

export interface RefundBacklog {
  /** Refunds started and not confirmed, by what is refunded. */
  pending: { order: number; deduction: number; booth: number };
  /** When the oldest of them started (undefined: none). */
  oldestStartedAt?: Date;
  /** Refunds the provider refused: a person must give the money back (deductions). */
  failed: number;
}

export interface ParkHeartbeat {
  parkNumber: string;
  receivedAt: Date;
}

export interface OperationsReadModel {
  deliveryBacklog(now: Date, workerOwners: string[]): Promise<DeliveryBacklog>;
  refundBacklog(): Promise<RefundBacklog>;
  heartbeats(): Promise<ParkHeartbeat[]>;
}
