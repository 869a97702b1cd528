"""The demo: fictitious people and initiatives (`data`), the evidence documents they attach,
generated on the fly (`files`), and the `seed_demo` command that plays them through the real
services. It sits above every other app: it imports what it needs from them, and nothing in
healthpm imports it, so the product runs without it.
"""
