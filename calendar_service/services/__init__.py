"""The use cases every surface shares: the pages, the API, the feeds and the command line call
these; these call the store, ical and rules.  One unit of work commits a request or a command
(``unit_of_work``); authorization happens at the door of each use case."""
