"""Request and response bodies on the wire, one module per noun."""
