"""What the places app announces to others.

- ``district_deleting(district)`` — sent by ``linli.places.sample`` before it deletes a district
  (``load_sample --reset``), so apps holding protected references to its stations and areas
  (activities) remove their rows first.
"""

from django.dispatch import Signal

district_deleting = Signal()
