import { categoryKeyword } from './keywords.js';

describe('categories → IMAP keywords', () => {
  test.each([
    ['Work', 'Work'],
    ['Red Category', 'Red_Category'],
    ['Blue\tcategory', 'Blue_category'],
    ['Überfällig', '&ANw-berf&AOQ-llig'],
    ['a(b)"c"', 'a_b__c_'],
    ['a%b*c"d]e{f', 'a_b_c_d_e_f'],
    ['\\Seen', 'Seen'],
    ['Projekt & Co', 'Projekt_&-_Co'],
    ['会議', '&TxqLcA-'],
    ['Отправленные', '&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-'],
    ['😀', '&2D3eAA-'],
    ['x\ud800y', 'x_y'],
    ['bell\u0007', 'bell_'],
    ['  ', undefined],
    ['\\', undefined],
  ])('%j → %j', (cat, kw) => expect(categoryKeyword(cat)).toBe(kw));
});
