"""One adapter module per feature: its personal-data providers.

Where a feature's repository has export/delete methods the adapter calls them; where it
does not, the adapter holds the SQL for that feature's tables (noted in each module).
"""
