"""The facts of a situation and their editing: records, values, the store, the seed, changes."""
