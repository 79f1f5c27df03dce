"""SLA clocks in business time: service calendars and the clocks measured against them."""
