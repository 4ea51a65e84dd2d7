"""Liquid-argon TPC physics: detector parameters, particle deposits, the wire-plane image simulator."""
