// The local model server (see README in this folder once written).
