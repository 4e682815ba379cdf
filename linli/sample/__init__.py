"""The sample district 示例区: fictional data for the demo, the tests and the benchmarks.

Nothing in Linli imports this package except its own ``load_sample`` and ``demo_logins``
commands.  :mod:`linli.sample.district` draws the district (street network, compounds and gates,
facilities and stations) and writes its files without Django; :mod:`linli.sample.load` loads it
into the database through one step per app, listed in :data:`linli.sample.load.STEPS`.
"""
