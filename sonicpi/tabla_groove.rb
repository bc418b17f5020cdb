# tabla_groove.rb - a tabla groove and a piano loop to play under the sung lyrics.
#
# Run lyrics_melody.rb too. Each time the singer starts a line it sends
#   cue :lyricbridge_line, bpm: ..., bars: ...
# with the bpm that came in the line's OSC message. Both loops below wait for
# that cue, play exactly that many bars at that speed, and wait again - so they
# start together with every line and stop when the lyrics stop.
# Each loop sleeps a sixteenth less than the line, so it is always back in
# time to catch the cue for the next line.
# When a chorus comes next, the cue says fill: true and the tabla plays a fill
# (quick strokes getting louder) in the line's last bar.

# Teentaal, the most famous tabla cycle: 16 strokes ("bols"), one per eighth note,
# so one cycle lasts two bars.
define :lyricbridge_teentaal do
  ring(:dha, :dhin, :dhin, :dha,  :dha, :dhin, :dhin, :dha,
       :dha, :tin,  :tin,  :ta,   :ta,  :dhin, :dhin, :dha)
end

# How each bol sounds: "dh" bols mix the deep drum (ghe) with the bright one.
define :lyricbridge_bol do |bol, amp|
  sample :tabla_ghe2, amp: amp * 0.8 if [:dha, :dhin].include?(bol)
  sample :tabla_na, amp: amp if [:dha, :ta].include?(bol)
  sample :tabla_tun1, amp: amp * 0.7 if [:dhin, :tin].include?(bol)
end

live_loop :lyricbridge_tabla do
  use_bpm 60                                    # our own clock until the singer's bpm comes
  cue_info = sync :lyricbridge_line              # wait for the singer
  use_bpm cue_info[:bpm]
  strokes = cue_info[:bars] * 8                   # eight eighth notes per bar
  strokes.times do |i|
    bol = lyricbridge_teentaal.tick(:bol)         # the cycle carries on across lines
    if cue_info[:fill] && i >= strokes - 8        # the last bar before a chorus: a fill
      sample :tabla_te1, amp: 0.5 + 0.06 * (i - strokes + 8)   # louder and louder
      sleep 0.25
      sample :tabla_te2, amp: 0.5 + 0.06 * (i - strokes + 8)
    else
      lyricbridge_bol bol, (i % 4 == 0 ? 1.0 : 0.6) # lean on every beat of two
      sleep 0.25
      # a soft "ke" on the off-sixteenth, now and then
      sample :tabla_ke1, amp: 0.3 if one_in(3)
    end
    sleep 0.25 unless i == strokes - 1            # finish a sixteenth early
  end
end

# Four chords made only of E minor pentatonic notes (E G A B D):
# E minor, G major, A with D (sus4), and E minor with a D on top.
define :lyricbridge_chords do
  ring(chord(:e3, :minor), chord(:g3, :major), chord(:a2, :sus4), chord(:e3, :m7))
end

# A MIDI keyboard may move the melody's root (:lyricbridge_root, set by lyrics_melody.rb):
# the chords move with it, by as many semitones (at most six up or down) as it is from E.
define :lyricbridge_shift do
  shift = (note(get(:lyricbridge_root, :e), octave: 3) - note(:e3)) % 12
  shift > 6 ? shift - 12 : shift
end

live_loop :lyricbridge_piano do
  use_bpm 60                                    # our own clock until the singer's bpm comes
  cue_info = sync :lyricbridge_line
  use_bpm cue_info[:bpm]
  use_synth :piano
  shift = lyricbridge_shift                            # the root as this line starts
  cue_info[:bars].times do |bar|
    notes_now = lyricbridge_chords.tick(:chord).to_a.map { |n| n + shift }
    play notes_now, amp: 0.5, sustain: 1, release: 1   # the chord on beat one
    sleep 1
    3.times do |k|                                     # then a little walk through it
      play notes_now[k % notes_now.length] + 12, amp: 0.3, release: 0.5
      sleep 1 unless bar == cue_info[:bars] - 1 && k == 2
    end
    sleep 0.75 if bar == cue_info[:bars] - 1           # last bar: end a sixteenth early
  end
end
