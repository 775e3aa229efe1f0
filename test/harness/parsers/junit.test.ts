import { describe, expect, it } from 'vitest';
import { decodeEntities, findSuiteBlocks, parser as junit, pytestNodeId } from '../../../src/harness/parsers/junit.ts';
import { asObject, GARBAGE } from '../../helpers/parser-input.ts';

describe('the JUnit parser and its XML reader', () => {
  it('never throws on garbage', () => {
    for (const input of GARBAGE) expect(() => junit.parse(input)).not.toThrow();
    expect(junit.parse('no xml here').size).toBe(0);
  });

  it('decodes the five entities and numeric references, leaving unknown ones', () => {
    expect(decodeEntities('&amp;&lt;&gt;&quot;&apos; &#65;&#x42;&#X43; &nbsp; &#xZZ; &')).toBe(`&<>"' ABC &nbsp; &#xZZ; &`);
    expect(decodeEntities('&amp;lt;')).toBe('&lt;');
  });

  it('reads attributes with entities and either quote, skips CDATA and comments, and closes self-closing tags', () => {
    const log = [
      'some build output <not xml>',
      '<?xml version="1.0"?>',
      '<testsuites>',
      "  <testsuite name='s &amp; t' tests='4'>",
      '    <!-- <testcase name="in a comment"/> -->',
      '    <testcase classname="a &lt;b&gt;" name="c &quot;d&quot; &#x2713;"/>',
      '    <testcase classname="k" name="fails"><failure><![CDATA[ <testcase name="in cdata"/> ]]></failure></testcase>',
      '    <testcase classname="k" name="errs"><error message="x &#10; y"/></testcase>',
      '    <testcase classname="k" name="skips"><skipped/></testcase>',
      '  </testsuite>',
      '</testsuites>',
      'trailing text',
    ].join('\n');
    expect(asObject(junit.parse(log))).toEqual({
      'a <b> > c "d" ✓': 'PASSED',
      'k > fails': 'FAILED',
      'k > errs': 'ERROR',
      'k > skips': 'SKIPPED',
    });
  });

  it("reads node:test's names the same whether its Node escaped `\"` once or twice", () => {
    // The shape of Node 24.22.3's output for test/fixtures/runners/node-junit, cut to one test.
    const nodeLog = (quote: string) => {
      const suite = `math &amp; &lt;xml> ${quote}quotes${quote}`;
      return [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<testsuites>',
        `\t<testsuite name="${suite}" time="0.002279" disabled="0" errors="0" tests="1" failures="0" skipped="0" timestamp="2026-12-04T14:05:33.271Z" hostname="5db25d49fac9">`,
        `\t\t<testcase name="adds" time="0.001043" classname="${suite}" file="/src/test/outcomes.test.js"/>`,
        '\t</testsuite>',
        '\t<!-- tests 1 -->',
        '\t<!-- duration_ms 117.990013 -->',
        '</testsuites>',
      ].join('\n');
    };
    const expected = { 'math & <xml> "quotes" > adds': 'PASSED' };
    expect(asObject(junit.parse(nodeLog('&amp;quot;')))).toEqual(expected);
    expect(asObject(junit.parse(nodeLog('&quot;')))).toEqual(expected);
  });

  it('reads every block of a log, a bare <testsuite> too, and keeps what a cut log holds', () => {
    const log = [
      '<testsuite name="one"><testcase classname="one" name="a"/></testsuite>',
      'between',
      '<testsuite name="two"><testcase classname="two" name="a"/><testcase classname="two" name="b"><failure/>',
    ].join('\n');
    expect(findSuiteBlocks(log)).toHaveLength(2);
    // Same name in two suites: the corpus's ` (#2)` rule.
    expect(asObject(junit.parse(log))).toEqual({ a: 'PASSED', 'a (#2)': 'PASSED', b: 'FAILED' });
  });

  it('names a generic testcase `classname > name`, or `name` when the classname adds nothing', () => {
    const log = [
      '<testsuite name="Mocha Tests">',
      '<testcase classname="Array #indexOf()" name="returns -1"/>',
      '<testcase classname="" name="no class"/>',
      '<testcase classname="Mocha Tests" name="suite-level"/>',
      '<testcase classname="jest title" name="jest title"/>',
      '</testsuite>',
    ].join('');
    expect([...junit.parse(log).keys()]).toEqual(['Array #indexOf() > returns -1', 'no class', 'suite-level', 'jest title']);
  });

  it('rebuilds pytest node ids from classname, name and file', () => {
    expect(pytestNodeId('tests.test_x', 'test_a')).toBe('tests/test_x.py::test_a');
    expect(pytestNodeId('tests.test_x.TestC.TestD', 'test_m[a.b - c]')).toBe('tests/test_x.py::TestC::TestD::test_m[a.b - c]');
    expect(pytestNodeId('test_top', 'test_a')).toBe('test_top.py::test_a');
    expect(pytestNodeId('pkg.tests.test_x.myCase', 'test_a', 'pkg/tests/test_x.py')).toBe('pkg/tests/test_x.py::myCase::test_a');
    expect(pytestNodeId('', 'tests.test_broken')).toBe('tests/test_broken.py');
  });
});
