/** Plates as drivers type them. */
import { decodePlate } from '../../../../shared/plate';

/**
 * The plate as typed, tidied for display: full-width folded (NFKC), white space removed, upper case.
 * "京 a１２３４５" → "京A12345". Unlike normalizePlate (the lookup key) it keeps a middle dot the driver typed.
 */
export function displayPlate(raw: string): string {
  return decodePlate(raw).normalize('NFKC').replace(/[\s\u3000]/g, '').toUpperCase();
}
