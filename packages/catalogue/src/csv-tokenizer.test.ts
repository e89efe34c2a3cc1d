import { createCsvTokenizer, CsvSyntaxError } from './csv-tokenizer.js';

function tokenize(chunks: readonly string[], delimiter = ','): [string[], number][] {
  const records: [string[], number][] = [];
  const tokenizer = createCsvTokenizer(delimiter, (cells, line) => records.push([cells, line]));
  for (const chunk of chunks) tokenizer.push(chunk);
  tokenizer.end();
  return records;
}

describe('CSV tokenizer', () => {
  test('splits records and cells; lines count physical lines, quoted newlines included', () => {
    const text = 'a,b\r\n"x, ""quoted""","multi\nline"\n\nlast,"\r\n"\n';
    expect(tokenize([text])).toEqual([
      [['a', 'b'], 1],
      [['x, "quoted"', 'multi\nline'], 2],
      [[''], 4],
      [['last', '\r\n'], 5],
    ]);
  });

  test('gives the same records however the text is cut into chunks', () => {
    const text = '\ufeffh1;h2\r\n"q;1";v\r\n"a""b";"c\nd"\rplain;x\n"end";';
    const whole = tokenize([text], ';');
    expect(whole[0]).toEqual([['h1', 'h2'], 1]);
    expect(whole.at(-1)).toEqual([['end', ''], 6]);
    for (let cut = 1; cut < text.length; cut++) {
      expect(tokenize([text.slice(0, cut), text.slice(cut)], ';')).toEqual(whole);
    }
    expect(tokenize(text.split(''), ';')).toEqual(whole);
  });

  test('plain records (no quotes) split the same whatever the line ends and chunk cuts', () => {
    const text = 'h1,h2,h3\r\n1,,x\r\n\r\n2,b,\n3,c,z';
    const whole = tokenize([text]);
    expect(whole).toEqual([
      [['h1', 'h2', 'h3'], 1],
      [['1', '', 'x'], 2],
      [[''], 3],
      [['2', 'b', ''], 4],
      [['3', 'c', 'z'], 5],
    ]);
    for (let cut = 1; cut < text.length; cut++) {
      expect(tokenize([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
    }
  });

  test('records ended by a lone CR come out before the input ends', () => {
    const records: string[][] = [];
    const tokenizer = createCsvTokenizer(',', (cells) => records.push(cells));
    tokenizer.push('a,b\rc,d\re');
    expect(records).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    tokenizer.end();
    expect(records.at(-1)).toEqual(['e']);
  });

  test('a record without a final line end still counts', () => {
    expect(tokenize(['a,b\nc,d'])).toEqual([
      [['a', 'b'], 1],
      [['c', 'd'], 2],
    ]);
  });

  test.each([
    ['an unterminated quote', 'a,b\nc,"open\nmore\n', 2, /quote not closed/],
    ['text after a closing quote', 'a,b\n"x"y,b\n', 2, /invalid closing quote/],
    ['a quote inside an unquoted cell', 'a,b\nx,b"c\n', 2, /invalid opening quote/],
  ])('%s is a syntax error at its line', (_name, text, line, message) => {
    let error: unknown;
    try {
      tokenize([text]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CsvSyntaxError);
    expect((error as CsvSyntaxError).line).toBe(line);
    expect((error as CsvSyntaxError).message).toMatch(message);
  });
});
