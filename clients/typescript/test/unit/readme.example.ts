// The README's example, type-checked by `npm run typecheck` (not run): it must keep compiling.
import { HourglassClient, NotificationStream, TimerSocket } from '../../src/index.js';

declare const auth: { token(): Promise<string> };
declare function badge(count: number): void;

export async function readmeExample(): Promise<void> {
  // --- the README's ten lines, from here ---
  const baseUrl = 'https://api.example.com', token = () => auth.token(); // called again on every reconnect
  const socket = new TimerSocket({ baseUrl, token, timezone: 'Asia/Seoul' });
  socket.on('timer.friend_activity', ({ payload }) => console.log(payload.display_name, payload.action));
  socket.connect();
  const { timer } = await socket.createTimer({ allocated_duration: 1500, title: 'Write report' });
  await socket.pauseTimer(timer.id); // resent with the same request_id if the connection drops
  const notifications = new NotificationStream({ baseUrl, token });
  notifications.on('unread-count', ({ unreadCount }) => badge(unreadCount));
  notifications.start();
  for await (const n of new HourglassClient({ baseUrl, token }).paginate('/api/v1/notifications')) console.log(n.message);
  // --- to here ---
}
