/** Hours of a UTC offset the server accepts (±14:00). */
type OffsetHours =
  | '00' | '01' | '02' | '03' | '04' | '05' | '06' | '07'
  | '08' | '09' | '10' | '11' | '12' | '13' | '14';
/** Minutes of the offsets real zones use. */
type OffsetMinutes = '00' | '15' | '30' | '45';

/** A UTC offset, `+09:00` or `-05:30`. */
export type UtcOffset = `${'+' | '-'}${OffsetHours}:${OffsetMinutes}`;

/** The areas of the IANA time-zone database. */
export type IanaArea =
  | 'Africa' | 'America' | 'Antarctica' | 'Arctic' | 'Asia' | 'Atlantic'
  | 'Australia' | 'Europe' | 'Indian' | 'Pacific' | 'Etc';

/** An IANA zone name, `Asia/Seoul` or `America/Argentina/Buenos_Aires`. */
export type IanaTimeZone = `${IanaArea}/${string}`;

/**
 * The `timezone` of the WebSocket and of REST/SSE reads: `UTC`/`Z`, an offset, or an IANA name.
 * Without one, datetimes are naive UTC (`2026-01-28T10:00:00`); with one, they carry the offset.
 */
export type TimeZone = 'UTC' | 'Z' | UtcOffset | IanaTimeZone;

const OFFSET = /^[+-](0\d|1[0-4]):[0-5]\d$/;
const IANA = /^(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)\/[A-Za-z0-9_+\-/]+$/;

/** Whether `value` has the shape of a [`TimeZone`] (the server still checks IANA names exist). */
export function isTimeZone(value: string): value is TimeZone {
  return value === 'UTC' || value === 'Z' || OFFSET.test(value) || IANA.test(value);
}

/** The zone of this browser or process, when it is an IANA name; `UTC` otherwise. */
export function localTimeZone(): TimeZone {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && isTimeZone(zone) ? zone : 'UTC';
}
