"""iCalendar in and out: feeds written with icalendar, VTIMEZONEs, imports of .ics files."""
