"""The map: the theatre built from assets/map (`theatre`) and the gazetteer of places (`places`)."""
