/** Why a payment cannot be invoiced, or why an invoice ended, in the driver's words (the invoice page and receipts). */
export const INVOICE_REASON_TEXT: Record<string, string> = {
  already_invoiced: '这笔支付已开过发票',
  refund_pending: '退款处理中，退款完成后可开票',
  nothing_left: '已全额退款，无需开票',
  no_provider: '这种支付方式暂不支持开具电子发票',
  not_paid: '尚未支付',
  title_not_filled: '未填写抬头，已取消',
  cancelled_by_driver: '已取消',
  refunded: '已全额退款',
};
