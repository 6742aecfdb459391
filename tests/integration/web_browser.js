// Drives Debian's chromium with puppeteer-core through one visit to
// rundbrief-web, for test_web_browser.py.
//
//   node tests/integration/web_browser.js < job.json > result.json
//
// The job (JSON on standard input):
//   chromium   path of the browser binary
//   profile    an empty directory for the browser profile (the caller
//              removes it)
//   width      viewport width in CSS px (below 600: a phone, touch and
//              mobile viewport)
//   base       http://127.0.0.1:PORT
//   shots      directory for the full-page screenshots
//   name       prefix of the screenshot names
//   lang       the browser's Accept-Language (optional)
//   steps      a list of actions, in order:
//     {"goto": "/path"}                 open a page
//     {"click": "selector"}             click, wait for the page it loads
//     {"type": ["selector", "text"]}    replace an input's value
//     {"check": "selector"}             tick a checkbox or radio button
//     {"uncheck": "selector"}           untick a checkbox
//     {"select": ["selector", "value"]} choose an option
// Every page loaded (by goto or click) is measured and photographed.
//
// The result (JSON on standard output):
//   pages     [{url, status, title, h1, text, scrollWidth, innerWidth,
//              shot}] in the order they were loaded
//   problems  console errors and warnings, uncaught page errors, CSP
//             violations, failed requests, answers >= 400 for anything
//             but the page itself: each a string; the caller wants none
//   error     set when a step could not be done (the exit status is 1)
'use strict';

const fs = require('fs');
const path = require('path');
const puppeteer = require(path.join(process.env.RUNDBRIEF_SRC || '.',
	'tests/node_modules/puppeteer-core'));

const STEP_TIMEOUT = 15000;

// Runs in every document before its own content; DevTools injects it, so
// the pages' CSP (no scripts) does not stop it. It turns every CSP
// violation into a console error, should Chromium not log one itself.
const CSP_PROBE = () => {
	document.addEventListener('securitypolicyviolation', (e) => {
		console.error('CSP violation: ' + e.violatedDirective + ' blocked ' +
			(e.blockedURI || '(inline)') + ' in ' + e.documentURI);
	});
};

async function measure(page, response, job, pages) {
	const n = pages.length + 1;
	const shot = path.join(job.shots, job.name + '-' + n + '.png');
	const m = await page.evaluate(() => ({
		url: location.href,
		title: document.title,
		h1: (document.querySelector('h1') || {}).textContent || '',
		text: document.body ? document.body.innerText : '',
		scrollWidth: document.documentElement.scrollWidth,
		innerWidth: window.innerWidth,
	}));
	await page.screenshot({ path: shot, fullPage: true });
	m.status = response ? response.status() : 0;
	m.shot = shot;
	pages.push(m);
}

async function main() {
	const job = JSON.parse(fs.readFileSync(0, 'utf8'));
	const result = { pages: [], problems: [] };
	const problems = result.problems;
	fs.mkdirSync(job.shots, { recursive: true });
	const phone = job.width < 600;
	const browser = await puppeteer.launch({
		executablePath: job.chromium,
		headless: true,
		pipe: true,
		userDataDir: job.profile,
		args: ['--no-sandbox', '--headless', '--disable-gpu',
			'--disable-quic', '--no-first-run',
			'--disable-background-networking',
			'--disable-component-update', '--disable-sync',
			'--hide-scrollbars'],
		defaultViewport: {
			width: job.width, height: phone ? 740 : 800,
			deviceScaleFactor: 1, isMobile: phone, hasTouch: phone,
		},
		timeout: 30000,
	});
	try {
		const page = await browser.newPage();
		page.setDefaultTimeout(STEP_TIMEOUT);
		page.setDefaultNavigationTimeout(STEP_TIMEOUT);
		await page.evaluateOnNewDocument(CSP_PROBE);
		if (job.lang)
			await page.setExtraHTTPHeaders({ 'Accept-Language': job.lang });
		page.on('console', (msg) => {
			const t = msg.type();
			const from = (msg.location() || {}).url || '';
			if (/\/favicon\.ico$/.test(from))
				return; // the browser asks for it by itself
			if (t === 'error' || t === 'warn' || t === 'warning' ||
			    /Content Security Policy|Refused to/i.test(msg.text()))
				problems.push('console ' + t + ': ' + msg.text() + ' (' +
					(from || page.url()) + ')');
		});
		page.on('pageerror', (err) =>
			problems.push('page error: ' + err.message + ' (' + page.url() + ')'));
		page.on('requestfailed', (req) => {
			// the favicon is not ours to serve
			if (!/\/favicon\.ico$/.test(req.url()))
				problems.push('request failed: ' + req.url() + ' ' +
					(req.failure() || {}).errorText);
		});
		page.on('response', (res) => {
			if (res.status() >= 400 && !res.request().isNavigationRequest() &&
			    !/\/favicon\.ico$/.test(res.url()))
				problems.push('HTTP ' + res.status() + ' for ' + res.url());
		});

		for (const step of job.steps) {
			const what = JSON.stringify(step);
			try {
				if (step.goto !== undefined) {
					const res = await page.goto(job.base + step.goto,
						{ waitUntil: 'load' });
					await measure(page, res, job, result.pages);
				} else if (step.click !== undefined) {
					const el = await page.waitForSelector(step.click,
						{ visible: true });
					const [res] = await Promise.all([
						page.waitForNavigation({ waitUntil: 'load' }),
						el.click(),
					]);
					await measure(page, res, job, result.pages);
				} else if (step.type !== undefined) {
					const el = await page.waitForSelector(step.type[0],
						{ visible: true });
					await el.click({ count: 3 });
					await page.keyboard.press('Backspace');
					await el.type(step.type[1]);
				} else if (step.check !== undefined ||
				           step.uncheck !== undefined) {
					const sel = step.check !== undefined ? step.check
						: step.uncheck;
					const el = await page.waitForSelector(sel,
						{ visible: true });
					const on = await el.evaluate((e) => e.checked);
					if (on !== (step.check !== undefined))
						await el.click();
					const now = await el.evaluate((e) => e.checked);
					if (now !== (step.check !== undefined))
						throw new Error('the click did not change it');
				} else if (step.select !== undefined) {
					const got = await page.select(step.select[0],
						step.select[1]);
					if (got.length !== 1)
						throw new Error('no such option');
				} else {
					throw new Error('unknown step');
				}
			} catch (e) {
				result.error = what + ': ' + e.message;
				break;
			}
		}
	} finally {
		await browser.close();
	}
	return result;
}

// Nothing may hang the caller: give up after a minute.
const watchdog = setTimeout(() => {
	process.stderr.write('web_browser.js: timed out\n');
	process.exit(2);
}, 60000);

main().then((result) => {
	clearTimeout(watchdog);
	process.stdout.write(JSON.stringify(result) + '\n');
	process.exitCode = result.error ? 1 : 0;
}, (e) => {
	clearTimeout(watchdog);
	process.stderr.write('web_browser.js: ' + (e.stack || e) + '\n');
	process.exitCode = 2;
});
