import { decodePlate, isPlausiblePlate, normalizePlate } from '../../shared/plate';

describe('normalizePlate', () => {
  it('spellings of one plate normalize equal', () => {
    const key = normalizePlate('京A12345');
    for (const spelling of ['京 A12345', '京a12345', ' 京A12345 ', '京A·12345', '京Ａ１２３４５', '京\u3000A12345', '京A-12345', '%E4%BA%ACA12345']) {
      expect([spelling, normalizePlate(spelling)]).toEqual([spelling, key]);
    }
    expect(key).toBe('京A12345');
  });

  it('different plates stay different', () => {
    expect(normalizePlate('京A12345')).not.toBe(normalizePlate('京A12346'));
    expect(normalizePlate('京A12345')).not.toBe(normalizePlate('津A12345'));
  });

  it('the empty plate (unlicensed car) stays empty', () => {
    expect(normalizePlate('')).toBe('');
  });
});

describe('decodePlate', () => {
  it('decodes a URL-encoded plate (4.27 plateID)', () => {
    expect(decodePlate('%E4%BA%ACA12345')).toBe('京A12345');
    expect(decodePlate(encodeURIComponent('京 A12345'))).toBe('京 A12345');
    expect(decodePlate('%E4%BA%AC+A12345')).toBe('京 A12345'); // URLEncoder writes a space as '+'
  });

  it('leaves a plain plate alone', () => {
    expect(decodePlate('京 A12345')).toBe('京 A12345');
    expect(decodePlate('京A12345')).toBe('京A12345');
  });

  it('leaves a broken encoding alone', () => {
    expect(decodePlate('%E4%BA')).toBe('%E4%BA');
  });
});

describe('isPlausiblePlate', () => {
  it.each([
    '京A12345',
    '京 a12345',
    '粤Z00006', // ordinary
    '京AD12345', // new energy, small car
    '京AF1234A', // new energy, small car, letter inside
    '沪A12345D', // new energy, large car
    '鲁B1234学', // school car
    '粤Z1234港', // Hong Kong
    '临A00001', // temporary (4.29 example)
  ])('accepts %p', (plate) => {
    expect(isPlausiblePlate(plate)).toBe(true);
  });

  it.each(['', 'A12345', '京12345', '京A1234', '京A1234567', '京AI2345', 'XYZ'])('rejects %p', (plate) => {
    expect(isPlausiblePlate(plate)).toBe(false);
  });
});
