import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientClassifier } from './client-class.ts';

test('User-Agent → device type, OS and browser', async () => {
  const c = new ClientClassifier();
  const cases: [string, { device_type: string; os: string; browser: string }][] = [
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      { device_type: 'desktop', os: 'Windows', browser: 'Chrome' },
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      { device_type: 'mobile', os: 'iOS', browser: 'Safari' },
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      { device_type: 'tablet', os: 'iOS', browser: 'Safari' },
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
      { device_type: 'mobile', os: 'Android', browser: 'Chrome' },
    ],
    [
      'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/538.1 (KHTML, like Gecko) Version/6.0 TV Safari/538.1',
      { device_type: 'tv', os: 'Tizen', browser: 'Tizen' },
    ],
    [
      'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
      { device_type: 'desktop', os: 'Linux', browser: 'Firefox' },
    ],
    [
      'Googlebot/2.1 (+http://www.google.com/bot.html)',
      { device_type: 'other', os: 'Other', browser: 'Googlebot' },
    ],
    ['', { device_type: 'other', os: 'Other', browser: 'Other' }],
  ];
  for (const [ua, expected] of cases) assert.deepEqual(await c.classify(ua), expected, ua);
  assert.deepEqual(await c.classify(undefined), { device_type: 'other', os: 'Other', browser: 'Other' });
});
