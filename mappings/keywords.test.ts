import { categoryKeyword } from './keywords.js';

describe('categories → IMAP keywords', () => {
  test.each([
    ['Work', 'Work'],
    ['Red Category', 'Red_Category'],
    ['Überfällig', '&ANw-berf&AOQ-llig'],
    ['a(b)"c"', 'a_b__c_'],
    ['  ', undefined],
  ])('%j → %j', (cat, kw) => expect(categoryKeyword(cat)).toBe(kw));
});
