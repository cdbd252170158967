//! iCalendar export (to come).
