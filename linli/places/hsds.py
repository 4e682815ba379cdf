from ninja import Router

router = Router(tags=["HSDS 3.0"])
