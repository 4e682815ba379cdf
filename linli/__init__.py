"""邻里 Linli — a district's community services platform."""
