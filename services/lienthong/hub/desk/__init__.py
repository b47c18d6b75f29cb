"""The agency officials' desk on the hub's operators' listener: its store, its feed, its pages."""
