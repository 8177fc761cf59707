"""Working days (工作日): the one calendar of holidays and make-up workdays the whole bank counts
on — complaint deadlines in working days, staffing plans, supervision's due dates and, when
they come, appointments.

The `chinese_calendar` package is the default; head office enters a year's holidays and make-up
workdays from the State Council's notice (国务院办公厅关于部分节假日安排的通知) on a settings page,
and an entered year takes precedence over the package. A year neither knows is a guess (Monday
to Friday), and the features warn where a date they compute rests on a guess.

Other features may use the pure calendar (`domain`: `BankCalendar`, `add_workdays`,
`Calendars`) and ask for the bank's current calendar (`calendars.bank_calendar(session)`,
`calendars.calendars(session)`), cached per process and rebuilt when head office saves.
"""

PUBLIC: tuple[str, ...] = ("domain", "calendars")
