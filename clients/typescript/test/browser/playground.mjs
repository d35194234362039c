// GET /playground in headless Chromium, asserted on the DOM: a development token, two devices
// ticking with create / pause / resume / stop, a friend's activity, the notification stream
// with its unread count, and the raw frames. `PLAYGROUND_SCREENSHOT=<file>` saves a screenshot
// (docs/playground.png is one).
import { browser, check, scenario } from './harness.mjs';

await scenario('playground: the page in Chromium', async () => {
  const chromium = await browser();
  try {
    const page = await chromium.page();
    page.setDefaultTimeout(30_000);
    const text = (selector) => page.locator(selector).first().innerText();

    await page.fill('#dev-name', 'pg-dev');
    await page.click('#dev-token');
    await page.waitForFunction(() => ['status-a', 'status-b', 'stream-state'].every((id) => document.getElementById(id).textContent === 'open'));
    check((await page.inputValue('#token')).split('.').length === 3, 'the development token is in the field');

    // Create on device A: both devices list it, RUNNING, and its clock ticks.
    await page.fill('#duration-a', '1500');
    await page.fill('#title-a', 'Write the report');
    await page.click('#create-a-btn');
    const rowA = page.locator('#timers-a li[data-status="RUNNING"]').first();
    await rowA.waitFor();
    const id = await rowA.getAttribute('data-timer-id');
    await page.locator(`#timers-b li[data-timer-id="${id}"][data-status="RUNNING"]`).waitFor();
    const before = await rowA.locator('.clock').innerText();
    await page.waitForFunction(
      ({ id, before }) => document.querySelector(`#timers-a li[data-timer-id="${id}"] .clock`)?.textContent !== before,
      { id, before },
    );

    // Pause on device B: device A shows it; resume on A; then stop on B: gone from both.
    await page.click(`#timers-b li[data-timer-id="${id}"] button[data-action="pause"]`);
    await page.locator(`#timers-a li[data-timer-id="${id}"][data-status="PAUSED"]`).waitFor();
    await page.click(`#timers-a li[data-timer-id="${id}"] button[data-action="resume"]`);
    await page.locator(`#timers-b li[data-timer-id="${id}"][data-status="RUNNING"]`).waitFor();

    // A friend who starts a timer: the friends list and the activity log show it.
    await page.click('#make-friend');
    await page.locator('#friends li').first().waitFor();
    await page.locator('#activity li[data-action="start"]').first().waitFor();
    check((await text('#friends li')).includes('deep work'), await text('#friends'));

    // The notification stream: a test notification, the unread count.
    await page.click('#test-notification');
    await page.locator('#notifications li[data-type="TEST"]').first().waitFor();
    await page.waitForFunction(() => Number(document.getElementById('unread').dataset.count) >= 1);

    // Raw frames both ways, and the stream's events.
    for (const kind of ['out', 'in', 'sse']) await page.locator(`#frames li.${kind}`).first().waitFor();
    check((await text('#frames')).includes('timer.create'), 'the create command is in the raw frames');

    // A second timer keeps ticking in the picture; the first one is stopped.
    await page.fill('#duration-b', '600');
    await page.fill('#title-b', 'Reading');
    await page.click('#create-b-btn');
    await page.locator('#timers-a li', { hasText: 'Reading' }).waitFor();
    await page.click(`#timers-b li[data-timer-id="${id}"] button[data-action="pause"]`);
    await page.locator(`#timers-a li[data-timer-id="${id}"][data-status="PAUSED"]`).waitFor();
    check((await page.locator('#auth-status[data-error="true"]').count()) === 0, `no error shown: ${await text('#auth-status')}`);

    if (process.env.PLAYGROUND_SCREENSHOT) {
      await page.screenshot({ path: process.env.PLAYGROUND_SCREENSHOT, fullPage: true });
      console.log(`screenshot: ${process.env.PLAYGROUND_SCREENSHOT}`);
    }

    await page.click(`#timers-a li[data-timer-id="${id}"] button[data-action="stop"]`);
    await page.locator(`#timers-b li[data-timer-id="${id}"]`).waitFor({ state: 'detached' });
  } finally {
    await chromium.close();
  }
});
