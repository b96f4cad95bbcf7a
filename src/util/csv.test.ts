import { parseCsv } from './csv.js';

describe('parseCsv', () => {
  test('plain, quoted, escaped quotes, embedded newlines, CRLF, blank lines, BOM', () => {
    const text = '\uFEFFsource,target\r\na@x,b@y\r\n\r\n"c,1","say ""hi"""\n"multi\nline",z\nlast,row';
    const { records, errors } = parseCsv(text);
    expect(errors).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['source', 'target'] },
      { line: 2, fields: ['a@x', 'b@y'] },
      { line: 4, fields: ['c,1', 'say "hi"'] },
      { line: 5, fields: ['multi\nline', 'z'] },
      { line: 7, fields: ['last', 'row'] },
    ]);
  });

  test('empty fields are kept', () => {
    expect(parseCsv('a,,c,\n').records).toEqual([{ line: 1, fields: ['a', '', 'c', ''] }]);
  });

  test('errors carry the line', () => {
    expect(parseCsv('a,b\n"open,x\n').errors).toEqual([{ line: 2, message: 'unterminated quoted field' }]);
    const r = parseCsv('a,b\nx,"q"z\ny,z\n');
    expect(r.errors).toEqual([{ line: 2, message: 'unexpected character after closing quote' }]);
    expect(r.records.map((x) => x.line)).toEqual([1, 3]);
    expect(parseCsv('a\nb"c\n').errors[0]).toMatchObject({ line: 2 });
  });
});
