// An empty module: the cold-load baseline of a bare node process.
