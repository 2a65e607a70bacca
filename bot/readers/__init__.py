"""What readers use: the sections and their buttons, the chart, inline sharing, subscriptions."""
