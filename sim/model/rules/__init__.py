"""The rules of the game, one module per phase of the turn: movement, combat, crossings,
supply and control."""
